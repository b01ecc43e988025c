import { createHash } from 'node:crypto';

/**
 * The dashboard's one stylesheet, inlined in every page (no external assets). The Content-Security-Policy
 * allows exactly this stylesheet by its hash; style attributes and scripts are not allowed at all.
 */
export const STYLES = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--focus:#fb8500}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--panel:#161b22;--line:#30363d;--accent:#6cb6ff;--ok:#3fb950;--warn:#d29922;--bad:#f85149}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:8px 16px;border-bottom:1px solid var(--line);background:var(--panel)}
header .brand{font-weight:700;margin-right:8px}
header nav ul{display:flex;flex-wrap:wrap;gap:2px 14px;list-style:none;margin:0;padding:0}
header nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--fg)}
header form{margin-left:auto}
main{padding:16px;max-width:1200px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--panel)}
.card h2{margin-top:0}
.big{font-size:1.6rem;font-weight:700}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.2rem 0;color:var(--muted)}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
pre{background:var(--panel);border:1px solid var(--line);padding:10px;overflow:auto;max-height:70vh;white-space:pre-wrap;word-break:break-word}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:10px;border:1px solid var(--line);font-size:.8rem;white-space:nowrap}
.s-done,.s-applied,.s-approved,.s-resolved,.s-paid{color:var(--ok);border-color:var(--ok)}
.s-dead,.s-rejected,.s-firing,.s-churned,.s-past_due{color:var(--bad);border-color:var(--bad)}
.s-pending,.s-running,.s-stale,.s-trial,.s-needs_support{color:var(--warn);border-color:var(--warn)}
form.inline{display:inline}
.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end;margin-bottom:10px}
.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer;background:var(--panel)}
button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}
button.danger{color:var(--bad);border-color:var(--bad)}
.notice{border:1px solid var(--ok);padding:6px 10px;border-radius:4px;margin-bottom:12px}
.error{border:1px solid var(--bad);padding:6px 10px;border-radius:4px;margin-bottom:12px}
.pager,.tabs{display:flex;gap:16px;margin:8px 0;list-style:none;padding:0}
.tabs a[aria-current=page]{font-weight:700;color:var(--fg);text-decoration:none}
.event{border-left:3px solid var(--line);padding:2px 0 8px 12px;margin:0 0 10px}
.event h3{font-size:1rem;margin:0 0 4px;font-weight:600}
.event ul{margin:2px 0;padding-left:18px}
.funnel rect.bar{fill:var(--accent)}.chart rect.bar{fill:var(--ok)}.chart rect.manual{fill:var(--warn)}
svg text{fill:var(--fg);font-size:11px}
.login{max-width:360px;margin:10vh auto;padding:0 16px}
.login label{display:block;margin:.8rem 0 .3rem}
.login input{width:100%}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export const STYLES_HASH = `sha256-${createHash('sha256').update(STYLES).digest('base64')}`;
