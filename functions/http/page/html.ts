import { createHash } from 'node:crypto';
import type { EvidenceRecord, IncidentRecord } from '../../../shared/domain/incident.js';
import type { ShareRecord } from '../../../shared/domain/share.js';

/**
 * Server-rendered pages of the police share link. No script, no external asset: one inline
 * stylesheet allowed by its hash in the Content-Security-Policy. Everything interpolated is escaped.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;color:#1b1f24;background:#f6f7f9}
body{margin:0}
header{background:#0b3d5c;color:#fff;padding:.9rem 1.25rem}
header p{margin:0;max-width:60rem}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.6rem 0}
h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
h3{font-size:1rem;margin:0 0 .5rem;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{font-weight:600}
dd{margin:0}
.expiry{background:#fff4d6;border:1px solid #e0b94f;padding:.6rem .8rem;border-radius:.3rem}
ol{list-style:none;padding:0;margin:0}
li.item{background:#fff;border:1px solid #d5dae1;border-radius:.4rem;padding:1rem;margin:0 0 1rem}
video,img{display:block;max-width:100%;height:auto;background:#000;border-radius:.2rem}
.meta{font-size:.85rem;color:#4a5563;margin:.5rem 0 0;word-break:break-all}
a.download{display:inline-block;margin-top:.6rem;padding:.4rem .8rem;border:1px solid #0b3d5c;border-radius:.3rem;color:#0b3d5c;text-decoration:none}
.neutral{max-width:34rem;margin:4rem auto;background:#fff;border:1px solid #d5dae1;border-radius:.4rem;padding:1.5rem}
footer{font-size:.8rem;color:#4a5563;margin-top:2rem}
`.trim();

/** The CSP source for the one inline stylesheet (hash, so no nonce and no 'unsafe-inline'). */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export const PAGE_CSP = [
  "default-src 'none'",
  "img-src 'self'",
  "media-src 'self'",
  `style-src ${STYLE_HASH}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response of the share routes (pages and media). */
export const SHARE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store, private',
  pragma: 'no-cache',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow, noarchive',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** "2026-11-25 14:05 UTC" */
function utc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

const PURPOSE_TEXT: Record<ShareRecord['purpose'], string> = {
  investigation: 'a police investigation',
  prosecution: 'a prosecution',
  'court-disclosure': 'court disclosure',
};

const CATEGORY_TEXT: Record<IncidentRecord['category'], string> = {
  theft: 'Theft',
  violence: 'Violence',
  'criminal-damage': 'Criminal damage',
  fraud: 'Fraud',
  antisocial: 'Antisocial behaviour',
  other: 'Other',
};

export interface SharePageModel {
  token: string;
  share: ShareRecord;
  incident: IncidentRecord;
  evidence: EvidenceRecord[];
}

/** The share page: minimised incident summary, evidence with players, expiry, recipient notice. */
export function renderSharePage({ token, share, incident, evidence }: SharePageModel): string {
  const base = `/s/${encodeURIComponent(token)}`;
  const items = evidence
    .map((e) => {
      const src = `${base}/media/${encodeURIComponent(e.id)}`;
      const name = escapeHtml(e.fileName);
      const player =
        e.mediaKind === 'video'
          ? `<video controls preload="metadata" playsinline src="${src}">This browser cannot play the video; ${share.accessMode === 'view-download' ? 'use the download link' : 'try another browser'}.</video>`
          : `<img src="${src}" alt="Redacted image ${name}">`;
      const download =
        share.accessMode === 'view-download'
          ? `<a class="download" href="${base}/download/${encodeURIComponent(e.id)}" download="${name}">Download ${name}</a>`
          : '';
      const redacted = e.redacted!;
      return `<li class="item" id="evidence-${escapeHtml(e.id)}">
<h3>${name}</h3>
${player}
<p class="meta">${e.mediaKind === 'video' ? 'Video' : 'Image'} · ${bytes(redacted.sizeBytes)} · SHA-256 <code>${redacted.sha256}</code></p>
${download}
</li>`;
    })
    .join('\n');

  const body = `<header><p class="notice" id="recipient-notice">Shared with <strong>${escapeHtml(share.recipient.agency)}</strong> for ${PURPOSE_TEXT[share.purpose]}. Only the recipient may use this page; every view is logged.</p></header>
<main>
<h1>Incident reference ${escapeHtml(incident.id)}</h1>
<p class="expiry" id="expiry">This link expires at <time datetime="${escapeHtml(share.expiresAt)}">${utc(share.expiresAt)}</time>${share.accessMode === 'view' ? '. Viewing only: downloads are not offered.' : '.'}</p>
<h2>Summary</h2>
<dl>
<dt>Category</dt><dd>${CATEGORY_TEXT[incident.category]}</dd>
<dt>Occurred</dt><dd><time datetime="${escapeHtml(incident.occurredAt)}">${utc(incident.occurredAt)}</time></dd>
<dt>Store</dt><dd>${escapeHtml(incident.storeId)}</dd>
<dt>Description</dt><dd>${escapeHtml(incident.description)}</dd>
</dl>
<h2>Evidence (${evidence.length})</h2>
<p>Bystanders' faces and vehicle plates have been obscured.</p>
<ol>
${items}
</ol>
<footer>Bystander · shared evidence · access is audited</footer>
</main>`;
  return layout(`Incident ${incident.id} — shared evidence`, body);
}

/** The one page for every unusable link: unknown, expired, revoked, superseded or dead. */
export function renderNeutralPage(): string {
  return layout(
    'Link not available',
    `<main><div class="neutral"><h1>This link is not available</h1><p>The link may have expired or been withdrawn. If you still need the evidence, ask the person who shared it for a new link.</p></div></main>`,
  );
}

export function renderTooManyPage(): string {
  return layout(
    'Too many attempts',
    `<main><div class="neutral"><h1>Too many attempts</h1><p>Please wait a few minutes before trying again.</p></div></main>`,
  );
}

export function renderErrorPage(): string {
  return layout(
    'Temporarily unavailable',
    `<main><div class="neutral"><h1>Temporarily unavailable</h1><p>The evidence cannot be shown right now. Please try again later.</p></div></main>`,
  );
}
