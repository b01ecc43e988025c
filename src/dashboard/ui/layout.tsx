import type { Child } from 'hono/jsx';
import { STYLES } from './styles.js';

export const NAV = [
  ['/', 'Today'],
  ['/customers', 'Customers'],
  ['/events', 'Events'],
  ['/jobs', 'Jobs'],
  ['/review', 'Review'],
  ['/alerts', 'Alerts'],
] as const;

/** What a signed-in page knows about the request: where it is (for the nav) and the session's CSRF token. */
export interface PageCtx {
  path: string;
  csrf: string;
}

/** The whole document: one inline stylesheet (a constant, never data), no scripts, no external assets. */
export function Document(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Handoff`}</title>
        <style dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body>{props.children}</body>
    </html>
  );
}

const current = (href: string, path: string) => (href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`));

/** A signed-in page: skip link, navigation, logout (a CSRF-protected POST), then the page's content. */
export function Layout(props: { title: string; ctx: PageCtx; children: Child }) {
  return (
    <Document title={props.title}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span class="brand">Handoff</span>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map(([href, label]) => (
              <li>
                <a href={href} aria-current={current(href, props.ctx.path) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form method="post" action="/logout">
          <CsrfField ctx={props.ctx} />
          <button type="submit">Log out</button>
        </form>
      </header>
      <main id="main">
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

export function CsrfField(props: { ctx: PageCtx }) {
  return <input type="hidden" name="csrf" value={props.ctx.csrf} />;
}
