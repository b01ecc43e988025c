import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Mustache from 'mustache';
import { ConfigError } from '../../errors.js';
import type { EmailView } from './view.js';

/**
 * Email templates: plain files a founder can edit, `<dir>/<template>.subject`, `.txt` and `.html`, in
 * Mustache syntax (`{{name}}`, optional parts `{{#name}}…{{/name}}`, fallbacks `{{^name}}…{{/name}}`).
 *
 * - Folder: EMAIL_TEMPLATES_DIR, else the package's own `templates/email` (resolved from this file, three
 *   levels below the package root in `src/` under tsx and in `dist/` alike, so `npm run build` needs no copy step).
 * - Loaded and parsed ONCE, when the connector is created (start-up): a missing, empty or malformed file
 *   stops start-up with a ConfigError naming every bad file. There is no per-file fallback to the shipped
 *   set: a configured folder is complete or it is a mistake. Edits take effect on restart.
 * - HTML escaping: `{{value}}` in the .html part is HTML-escaped (Mustache's default); the subject and text
 *   parts are plain text and are not. `{{{value}}}` opts out of escaping: the shipped templates never use it.
 * - The rendered subject is one line (whitespace collapsed), at most SUBJECT_MAX characters.
 */
export const EMAIL_TEMPLATES = ['payment_failed', 'trial_ending', 'support_confirmation', 'alert_opened', 'alert_resolved'] as const;
/** Templates for the founder (alert rules), sent to payload.to and never to a customer. */
export const FOUNDER_TEMPLATES: ReadonlySet<string> = new Set(['alert_opened', 'alert_resolved']);
export type EmailTemplateName = (typeof EMAIL_TEMPLATES)[number];
const PARTS = ['subject', 'txt', 'html'] as const;
const SUBJECT_MAX = 200;

export const SHIPPED_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/email/', import.meta.url));

export interface TemplateSet {
  subject: string;
  txt: string;
  html: string;
}
export type Templates = ReadonlyMap<EmailTemplateName, TemplateSet>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Reads and parses every template; throws ONE ConfigError listing every missing or broken file. */
export function loadTemplates(dir: string = SHIPPED_TEMPLATES_DIR, variable = 'EMAIL_TEMPLATES_DIR'): Templates {
  const problems: string[] = [];
  const out = new Map<EmailTemplateName, TemplateSet>();
  for (const name of EMAIL_TEMPLATES) {
    const set: Partial<TemplateSet> = {};
    for (const part of PARTS) {
      const file = path.join(dir, `${name}.${part}`);
      let source: string;
      try {
        source = readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(`${variable}: ${file} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? 'error'})`}`);
        continue;
      }
      if (!source.trim()) {
        problems.push(`${variable}: ${file} is empty`);
        continue;
      }
      try {
        Mustache.parse(source);
      } catch (err) {
        problems.push(`${variable}: ${file} is not a valid Mustache template (${(err as Error).message.split('\n')[0]})`);
        continue;
      }
      set[part] = source;
    }
    if (set.subject !== undefined && set.txt !== undefined && set.html !== undefined) out.set(name, set as TemplateSet);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

const plain = { escape: (value: unknown) => String(value) };

/** Renders one template. A subject that renders empty is an error (the founder's template needs a fallback). */
export function renderEmail(set: TemplateSet, view: EmailView, template: string): RenderedEmail {
  const subjectLine = Mustache.render(set.subject, view, {}, plain).replace(/\s+/g, ' ').trim();
  if (!subjectLine) throw new Error(`email template ${template}: the subject rendered empty; give it text outside {{#…}} sections`);
  const subject = subjectLine.length > SUBJECT_MAX ? `${subjectLine.slice(0, SUBJECT_MAX - 1)}…` : subjectLine;
  // Optional sections leave blank lines behind; at most one empty line survives between paragraphs.
  const text = Mustache.render(set.txt, view, {}, plain)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const html = Mustache.render(set.html, view).trim();
  return { subject, text: `${text}\n`, html };
}
