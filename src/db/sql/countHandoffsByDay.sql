-- Dashboard "/": customer effects delivered per day, and how many of them needed a human (an operator
-- retried the job). $1: the day boundaries, oldest first (timestamptz[]); bucket i counts jobs finished in
-- [$1[i], $1[i+1]). Alert messages (no customer) are not handoffs. Reads jobs_finished and, for the few
-- retried jobs, timeline_retried_job.
SELECT width_bucket(j.finished_at, $1::timestamptz[]) AS bucket,
       count(*)::integer AS delivered,
       (count(*) FILTER (WHERE j.id::text IN (SELECT t.detail ->> 'job_id' FROM timeline t WHERE t.kind = 'retry')))::integer AS retried
FROM jobs j
WHERE j.status = 'done' AND j.finished_at >= ($1::timestamptz[])[1] AND j.customer_id IS NOT NULL
GROUP BY 1
