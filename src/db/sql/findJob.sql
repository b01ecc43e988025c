SELECT id, status FROM jobs WHERE id = $1
