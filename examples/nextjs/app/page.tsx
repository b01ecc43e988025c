export default function Home() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '3rem auto' }}>
      <h1>Your app, with Handoff inside</h1>
      <p>
        Handoff serves <code>/api/*</code> from <code>app/api/[...handoff]/route.ts</code>: point Stripe at{' '}
        <code>/api/webhooks/stripe</code>, send your app&apos;s events to <code>/api/events</code>, check{' '}
        <a href="/api/health">/api/health</a>.
      </p>
    </main>
  );
}
