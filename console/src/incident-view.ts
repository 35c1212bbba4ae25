import { api, problemText, redactedMedia, roles, type AuditEntry, type EvidenceView, type IncidentView, type LiveStatus, type ReviewView, type ShareView } from './api.js';
import { announce, bytes, field, h, utc } from './dom.js';
import type { Render } from './main.js';
import { reasonText } from './review-model.js';

const STAGE_TEXT: Record<string, string> = {
  inspecting: 'Inspecting the upload',
  redacting: 'Redacting',
  recording: 'Recording the redacted copy',
  publishing: 'Publishing',
  published: 'Published',
  quarantined: 'Quarantined',
  'awaiting-review': 'Awaiting review',
  'review-rendering': 'Awaiting review: rendering the reviewer’s edits',
};

/** The orchestration's custom status in words: "Redacting (attempt 2 of 3)". */
export function liveText(s: LiveStatus): string {
  if (s.live) {
    const attempt = s.live.attempt ? ` (attempt ${s.live.attempt}${s.live.maxAttempts ? ` of ${s.live.maxAttempts}` : ''})` : '';
    const version = s.live.stage === 'review-rendering' && s.live.version ? ` (version ${s.live.version})` : '';
    return `${STAGE_TEXT[s.live.stage] ?? s.live.stage}${attempt}${version}${s.live.code ? `: ${s.live.code}` : ''}`;
  }
  if (s.status === 'quarantined' || s.status === 'rejected') return `${s.status === 'quarantined' ? 'Quarantined' : 'Rejected'}: ${s.quarantine?.reason ?? s.quarantine?.code ?? 'no reason recorded'}`;
  return { 'awaiting-upload': 'Waiting for the upload', processing: 'Processing', published: 'Published', 'awaiting-review': 'Awaiting review' }[s.status] ?? s.status;
}

function subjectText(matched: boolean | null | undefined, editsVersion: number | undefined): string {
  if (matched === null || matched === undefined) return editsVersion ? 'no subject was marked; a reviewer chose what stays visible' : 'no subject was marked';
  if (matched) return 'matched a tracked person';
  return editsVersion ? 'not matched by the engine; a reviewer chose what stays visible' : 'not matched: nobody was kept visible (fail-safe)';
}

/** The redaction report (summary) as sentences. */
function reportOf(e: EvidenceView): HTMLElement | undefined {
  const s = e.summary as
    | { frames?: number; durationSeconds?: number; width?: number; height?: number; tracksObscured?: number; tracksKept?: number; regionsObscured?: number; subjectMatched?: boolean | null; verification?: string; editsVersion?: number; review?: { needed: boolean; reasons: string[] }; models?: Array<{ name: string; version: string }> }
    | undefined;
  if (!s) return undefined;
  const rows: Array<[string, string]> = [
    ['Media', `${s.width ?? '?'} × ${s.height ?? '?'} px${s.durationSeconds ? `, ${s.durationSeconds.toFixed(1)} s, ${s.frames ?? '?'} frames` : ''}`],
    ['Obscured', `${s.tracksObscured ?? 0} face or plate track${s.tracksObscured === 1 ? '' : 's'} (${s.regionsObscured ?? 0} regions over all frames)`],
    ['Kept visible', s.tracksKept ? `${s.tracksKept} track${s.tracksKept === 1 ? '' : 's'} (${s.editsVersion ? 'the subject' : 'the marked subject'})` : 'nobody'],
    ['Subject mark', subjectText(s.subjectMatched, s.editsVersion)],
    ...(s.editsVersion ? ([['Reviewer edits', `version ${s.editsVersion} applied (see the audit trail for who and when)`]] as Array<[string, string]>) : []),
    ['Independent check', s.verification === 'passed' ? 'passed: a second model found no face outside the obscured regions' : (s.verification ?? 'not run')],
    ['Models', (s.models ?? []).map((m) => `${m.name} ${m.version}`).join(', ') || '—'],
  ];
  return h('dl', { class: 'report', 'aria-label': `Redaction report for ${e.fileName}` }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function incidentView(render: Render, incidentId: string): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const previews: string[] = [];
  const evidenceList = h('ol', { id: 'evidence', class: 'evidence' });
  const sharesBody = h('tbody', {});
  const auditBody = h('tbody', {});
  const shareSection = h('section', { 'aria-labelledby': 'shares-h', id: 'shares' });
  const canShare = () => roles().some((r) => r === 'investigator' || r === 'admin');
  let incident: IncidentView | undefined;
  const statusCells = new Map<string, HTMLElement>();

  const loadIncident = async () => {
    incident = await api<IncidentView>('GET', `incidents/${incidentId}`);
    evidenceList.replaceChildren(...incident.evidence.map(evidenceItem));
    shareSection.replaceChildren(...shareForm(incident));
  };

  function evidenceItem(e: EvidenceView): HTMLElement {
    const status = h('p', { class: `status ${e.status}`, id: `status-${e.id}`, 'aria-live': 'polite' }, liveText({ id: e.id, status: e.status, ...(e.quarantine ? { quarantine: e.quarantine } : {}) }));
    statusCells.set(e.id, status);
    const preview = h('div', { class: 'preview' });
    const previewButton =
      e.status === 'published' && canShare()
        ? h(
            'button',
            {
              type: 'button',
              id: `preview-${e.id}`,
              onclick: async () => {
                try {
                  // Only the redacted render is ever fetched: the API serves nothing else.
                  const url = URL.createObjectURL(await redactedMedia(incidentId, e.id));
                  previews.push(url);
                  preview.replaceChildren(
                    e.mediaKind === 'video'
                      ? h('video', { src: url, controls: true, muted: true, playsinline: true, class: 'redacted', 'aria-label': `Redacted ${e.fileName}` })
                      : h('img', { src: url, alt: `Redacted ${e.fileName}`, class: 'redacted' }),
                  );
                } catch (err) {
                  announce(`Could not load the redacted preview: ${(err as Error).message}`, 'error');
                }
              },
            },
            'Show redacted preview',
          )
        : undefined;
    return h(
      'li',
      { class: 'item' },
      h('h3', {}, e.fileName),
      status,
      h('p', { class: 'muted' }, `${e.contentType}${e.original ? `, ${bytes(e.original.sizeBytes)} received` : ''}${e.redacted ? `, redacted ${bytes(e.redacted.sizeBytes)}` : ''}`),
      e.status === 'awaiting-review' && canShare() ? reviewSummary(e) : undefined,
      reportOf(e),
      previewButton,
      preview,
    );
  }

  /** Evidence waiting for a person: why, until when, and the way to the review page. */
  function reviewSummary(e: EvidenceView): HTMLElement {
    const box = h('div', { class: 'review-summary', id: `review-summary-${e.id}` }, h('p', { class: 'muted' }, 'Loading the review…'));
    void api<ReviewView>('GET', `incidents/${incidentId}/evidence/${e.id}/review`)
      .then((r) =>
        box.replaceChildren(
          h('h4', {}, 'Needs a person’s review before it is published'),
          h('ul', { class: 'reasons', id: `reasons-${e.id}` }, ...(r.reasons.length ? r.reasons.map((x) => h('li', { 'data-reason': x }, reasonText(x))) : [h('li', {}, 'Your organisation reviews every item.')])),
          h('p', {}, `Decide by ${utc(r.deadline)}; after that the evidence is quarantined and the original deleted.`),
          h('a', { href: `#/incidents/${incidentId}/evidence/${e.id}/review`, id: `review-${e.id}`, class: 'button primary' }, r.state === 'rendering' ? 'Review (an edit is rendering)' : 'Review'),
        ),
      )
      .catch((err: unknown) => box.replaceChildren(h('p', { class: 'error' }, `Could not load the review: ${problemText(err)}`)));
    return box;
  }

  function shareForm(inc: IncidentView): HTMLElement[] {
    const heading = h('h2', { id: 'shares-h' }, 'Shares with police');
    const table = h(
      'table',
      { id: 'share-list' },
      h('caption', { class: 'sr-only' }, 'Shares of this incident with status and access counts'),
      h('thead', {}, h('tr', {}, ...['Recipient', 'Purpose', 'Mode', 'Status', 'Expires', 'Views', 'Media', 'Downloads', 'Denied', ''].map((t) => h('th', { scope: 'col' }, t)))),
      sharesBody,
    );
    if (!canShare()) return [heading, h('p', {}, 'Sharing needs the investigator role.')];
    const published = inc.evidence.filter((e) => e.status === 'published');
    if (!published.length) return [heading, h('p', { class: 'muted' }, 'Evidence can be shared once it is published.'), table];
    const agency = h('input', { name: 'agency', required: true, maxlength: 120, autocomplete: 'organization' });
    const email = h('input', { name: 'officerEmail', type: 'email', required: true, autocomplete: 'off' });
    const purpose = h('select', { name: 'purpose' }, ...['investigation', 'prosecution', 'court-disclosure'].map((p) => h('option', { value: p }, p)));
    const mode = h('select', { name: 'accessMode' }, h('option', { value: 'view' }, 'view only'), h('option', { value: 'view-download' }, 'view and download'));
    const hours = h('input', { name: 'expiresInHours', type: 'number', min: 1, max: 168, value: 72, required: true });
    const picks = published.map((e) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'evidence', value: e.id, checked: true }), ` ${e.fileName}`));
    const form = h(
      'form',
      {
        id: 'share-form',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          try {
            await api('POST', `incidents/${incidentId}/shares`, {
              recipient: { agency: agency.value.trim(), officerEmail: email.value.trim() },
              purpose: purpose.value,
              accessMode: mode.value,
              expiresInHours: Number(hours.value),
              evidenceIds: picks.map((p) => p.querySelector('input')!).filter((i) => i.checked).map((i) => i.value),
            });
            announce('Shared: the officer receives the link; it is never shown here.');
            await loadShares();
            await loadAudit();
          } catch (err) {
            announce(`Could not share: ${(err as Error).message}`, 'error');
          }
        },
      },
      field('Police agency', agency),
      field('Officer e-mail', email),
      field('Purpose', purpose),
      field('Access', mode),
      field('Expires after (hours, at most 168)', hours),
      h('fieldset', {}, h('legend', {}, 'Evidence'), ...picks),
      h('button', { type: 'submit', class: 'primary', id: 'share-submit' }, 'Share'),
    );
    return [heading, form, table];
  }

  const loadShares = async () => {
    if (!canShare()) return;
    const { shares } = await api<{ shares: ShareView[] }>('GET', `incidents/${incidentId}/shares`);
    sharesBody.replaceChildren(
      ...shares.map((s) =>
        h(
          'tr',
          { 'data-share': s.id },
          h('td', {}, `${s.recipient.agency} (${s.recipient.officerEmail})`),
          h('td', {}, s.purpose),
          h('td', {}, s.accessMode),
          h('td', { class: `status ${s.status}` }, s.status),
          h('td', {}, utc(s.expiresAt)),
          h('td', {}, s.access.views),
          h('td', {}, s.access.media),
          h('td', {}, s.access.downloads),
          h('td', {}, s.access.denied),
          h(
            'td',
            {},
            s.status === 'active' || s.status === 'pending'
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger',
                    'aria-label': `Revoke the share with ${s.recipient.agency}`,
                    onclick: async () => {
                      try {
                        await api('DELETE', `shares/${s.id}`);
                        announce(`Share with ${s.recipient.agency} revoked.`);
                        await loadShares();
                        await loadAudit();
                      } catch (err) {
                        announce(`Could not revoke: ${(err as Error).message}`, 'error');
                      }
                    },
                  },
                  'Revoke',
                )
              : '',
          ),
        ),
      ),
    );
  };

  const loadAudit = async () => {
    if (!canShare()) return;
    const { events } = await api<{ events: AuditEntry[] }>('GET', `incidents/${incidentId}/audit?limit=100`);
    // Repeated reads (this page polls) are folded into one row with a count.
    const rows: Array<{ e: AuditEntry; n: number }> = [];
    for (const e of events) {
      const last = rows.at(-1);
      if (last && last.e.action === e.action && last.e.actor.id === e.actor.id && last.e.outcome === e.outcome && last.e.target.shareId === e.target.shareId && last.e.target.evidenceId === e.target.evidenceId) last.n++;
      else rows.push({ e, n: 1 });
    }
    auditBody.replaceChildren(
      ...rows.map(({ e, n }) =>
        h(
          'tr',
          {},
          h('td', {}, utc(e.at)),
          h('td', {}, `${e.actor.type}${e.actor.role ? ` (${e.actor.role})` : ''} ${e.actor.id.slice(0, 12)}`),
          h('td', {}, `${e.action}${n > 1 ? ` ×${n}` : ''}`),
          h('td', {}, `${e.outcome}${e.reason ? `: ${e.reason}` : ''}`),
          h('td', {}, [e.target.evidenceId && `evidence ${e.target.evidenceId.slice(0, 8)}`, e.target.shareId && `share ${e.target.shareId.slice(0, 8)}`].filter(Boolean).join(', ') || '—'),
        ),
      ),
    );
  };

  /** Polls the live status while anything is waiting or running; reloads the record when it settles. */
  const poll = async () => {
    if (stopped || !incident) return;
    let busy = false;
    let waiting = false;
    try {
      const { evidence } = await api<{ evidence: LiveStatus[] }>('GET', `incidents/${incidentId}/evidence-status`);
      let settled = false;
      for (const s of evidence) {
        const cell = statusCells.get(s.id);
        const before = incident.evidence.find((e) => e.id === s.id)?.status;
        if (cell) {
          cell.textContent = liveText(s);
          cell.className = `status ${s.status}`;
        }
        if (s.status === 'awaiting-upload' || s.status === 'processing') busy = true;
        // Awaiting review: a reviewer (here or elsewhere) may approve, reject or re-render at any time.
        if (s.status === 'awaiting-review') waiting = true;
        if (before !== s.status) settled = true;
      }
      if (settled) {
        await loadIncident();
        await loadShares();
        await loadAudit();
      }
    } catch (err) {
      announce(`Status update failed: ${(err as Error).message}`, 'error');
      busy = true;
    }
    if ((busy || waiting) && !stopped) timer = setTimeout(() => void poll(), busy ? 1500 : 4000);
  };

  render(
    'Incident',
    h(
      'section',
      { 'aria-labelledby': 'incident-h', id: 'incident' },
      h('p', {}, h('a', { href: '#/incidents' }, '← All incidents')),
      h('h1', { id: 'incident-h' }, 'Incident'),
      h('dl', { id: 'incident-fields', class: 'fields' }),
      h('h2', {}, 'Evidence'),
      evidenceList,
      shareSection,
      h(
        'section',
        { 'aria-labelledby': 'audit-h' },
        h('h2', { id: 'audit-h' }, 'Audit trail'),
        h(
          'table',
          { id: 'audit' },
          h('caption', { class: 'sr-only' }, 'Who did what to this incident, newest first'),
          h('thead', {}, h('tr', {}, ...['When', 'Who', 'Action', 'Outcome', 'About'].map((t) => h('th', { scope: 'col' }, t)))),
          auditBody,
        ),
      ),
    ),
  );
  void (async () => {
    try {
      await loadIncident();
      const inc = incident!;
      const fields: Array<[string, string]> = [
        ['Store', inc.storeId],
        ['Occurred', utc(inc.occurredAt)],
        ['Category', inc.category],
        ['Outcome', inc.outcome],
        ['Description', inc.description],
        ['Kept until', utc(inc.deleteAfter)],
        ...(inc.legalHold ? ([['Legal hold', `since ${utc(inc.legalHold.placedAt)}`]] as Array<[string, string]>) : []),
      ];
      document.getElementById('incident-fields')?.replaceChildren(...fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
      document.getElementById('incident-h')!.textContent = `Incident at ${inc.storeId}, ${utc(inc.occurredAt)}`;
      await loadShares();
      await loadAudit();
      await poll();
    } catch (err) {
      announce(`Could not load the incident: ${(err as Error).message}`, 'error');
    }
  })();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    previews.forEach((u) => URL.revokeObjectURL(u));
  };
}
