import { api, problemText, reviewPreview, type ReviewView } from './api.js';
import { announce, field, h, utc } from './dom.js';
import type { Render } from './main.js';
import { boxAt, boxProblem, defaultSpan, EditSet, reasonText, toRenderBox, trackState, type ReviewTrack, type TrackAction } from './review-model.js';

/**
 * Review before publishing: the current redacted render (never the original) with each track drawn
 * over it, the reviewer's edit set (keep, obscure, obscure whole person, boxes over a span), applying
 * it (a new render, polled until ready), approving or rejecting. Every request goes to the same /api
 * routes as any other client.
 */

const REJECT_REASONS: Array<[string, string]> = [
  ['redaction-inadequate', 'The redaction is inadequate'],
  ['subject-not-visible', 'The subject is not visible'],
  ['wrong-file', 'Wrong file'],
  ['other', 'Other reason'],
];
const KIND_TEXT: Record<string, string> = { edits: 'edits applied', approved: 'approved', rejected: 'rejected', deadline: 'deadline passed', 'render-failed': 'render failed' };

export function reviewView(render: Render, incidentId: string, evidenceId: string): () => void {
  const base = `incidents/${incidentId}/evidence/${evidenceId}`;
  const back = `#/incidents/${incidentId}`;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let frameRequest: number | undefined;
  let objectUrl: string | undefined;
  let review: ReviewView | undefined;
  let edits = new EditSet();
  let media: HTMLVideoElement | HTMLImageElement | undefined;
  /** The box being drawn or typed, in render pixels. */
  let drawn: { x: number; y: number; w: number; h: number } | undefined;

  const state = h('p', { id: 'review-state', class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const reasons = h('ul', { id: 'review-reasons', class: 'reasons' });
  const deadline = h('p', { id: 'review-deadline' });
  const stage = h('div', { class: 'stage', id: 'review-stage' });
  const canvas = h('canvas', { class: 'overlay', 'aria-hidden': 'true' });
  const legend = h('p', { class: 'hint' }, 'Boxes over the picture: solid outline = kept visible, dashed outline = obscured, dotted yellow = a box you are adding. Each is labelled with its track id.');
  const trackBody = h('tbody', {});
  const pendingList = h('ul', { id: 'pending-edits', class: 'hints' });
  const historyBody = h('tbody', {});

  // ---- drawing a box: the overlay takes the pointer only in drawing mode
  const drawButton = h('button', { type: 'button', id: 'review-draw', 'aria-pressed': 'false' }, 'Draw box');
  const boxInputs = (['x', 'y', 'w', 'h'] as const).map((k) => h('input', { type: 'number', min: 0, step: 1, name: `box-${k}`, id: `review-box-${k}`, inputmode: 'numeric' }));
  const fromInput = h('input', { type: 'number', min: 0, step: 0.1, name: 'fromSeconds', id: 'review-from' });
  const toInput = h('input', { type: 'number', min: 0, step: 0.1, name: 'toSeconds', id: 'review-to' });
  const addBox = h('button', { type: 'button', id: 'review-add-box' }, 'Add box to the edits');
  const applyButton = h('button', { type: 'button', class: 'primary', id: 'review-apply' }, 'Apply edits');
  const approveButton = h('button', { type: 'button', class: 'primary', id: 'review-approve' }, 'Approve and publish');
  const rejectReason = h('select', { name: 'rejectReason', id: 'reject-reason' }, ...REJECT_REASONS.map(([v, t]) => h('option', { value: v }, t)));
  const rejectButton = h('button', { type: 'button', class: 'danger', id: 'review-reject' }, 'Reject…');
  const rejectConfirm = h('button', { type: 'button', class: 'danger', id: 'reject-confirm', hidden: true }, 'Confirm rejection (the evidence is quarantined and the original deleted)');
  const rejectCancel = h('button', { type: 'button', id: 'reject-cancel', hidden: true }, 'Cancel');

  const isVideo = () => media instanceof HTMLVideoElement;
  const fps = () => review?.render.fps ?? 25;
  const now = () => (media instanceof HTMLVideoElement ? media.currentTime : 0);
  const duration = () => review?.render.durationSeconds ?? (media instanceof HTMLVideoElement && Number.isFinite(media.duration) ? media.duration : 0);

  // ---- the overlay: each track's box at the current frame, the drawn box, pending boxes in their span
  const draw = () => {
    const ctx = canvas.getContext('2d');
    if (!ctx || !media || !review || !(review.render.width > 0 && review.render.height > 0)) return;
    canvas.width = media.clientWidth;
    canvas.height = media.clientHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const sx = canvas.width / review.render.width;
    const sy = canvas.height / review.render.height;
    const frame = Math.round(now() * fps());
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    const outline = (b: { x: number; y: number; w: number; h: number }, style: 'kept' | 'obscured' | 'pending', label: string) => {
      ctx.save();
      ctx.lineWidth = style === 'kept' ? 3 : 2;
      ctx.setLineDash(style === 'obscured' ? [7, 4] : style === 'pending' ? [2, 3] : []);
      ctx.strokeStyle = style === 'kept' ? '#22c55e' : style === 'obscured' ? '#ffffff' : '#facc15';
      ctx.strokeRect(b.x * sx, b.y * sy, b.w * sx, b.h * sy);
      if (label) {
        const width = ctx.measureText(label).width + 8;
        const ly = Math.max(16, b.y * sy);
        ctx.setLineDash([]);
        ctx.fillStyle = 'rgba(0,0,0,0.75)';
        ctx.fillRect(b.x * sx, ly - 16, width, 16);
        ctx.fillStyle = '#ffffff';
        ctx.fillText(label, b.x * sx + 4, ly - 2);
      }
      ctx.restore();
    };
    for (const t of review.tracks) {
      const b = boxAt(t, frame);
      if (b) outline(b, t.kept ? 'kept' : 'obscured', `#${t.id} ${t.class} ${t.kept ? 'kept' : 'obscured'}`);
    }
    const at = now();
    for (const [i, pb] of edits.boxes.entries()) if (!isVideo() || (at >= pb.fromSeconds && at <= pb.toSeconds)) outline(pb.box, 'pending', `box ${i + 1} (pending)`);
    if (drawn && drawn.w > 0 && drawn.h > 0) outline(drawn, 'pending', 'new box');
  };
  const animate = () => {
    draw();
    frameRequest = media instanceof HTMLVideoElement && !media.paused && !stopped ? requestAnimationFrame(animate) : undefined;
  };

  const readTyped = () => {
    const [x, y, w, hh] = boxInputs.map((i) => Number(i.value));
    drawn = { x: x!, y: y!, w: w!, h: hh! };
    draw();
  };
  boxInputs.forEach((i) => i.addEventListener('input', readTyped));

  const setDrawing = (on: boolean) => {
    canvas.classList.toggle('drawing', on);
    drawButton.setAttribute('aria-pressed', String(on));
    drawButton.textContent = on ? 'Stop drawing (use the player again)' : 'Draw box';
    if (on && media instanceof HTMLVideoElement) media.pause();
    if (on) spanDefaults();
  };
  drawButton.addEventListener('click', () => setDrawing(!canvas.classList.contains('drawing')));
  const spanDefaults = () => {
    const span = defaultSpan(now(), duration());
    fromInput.value = String(span.fromSeconds);
    toInput.value = String(span.toSeconds);
  };

  let dragFrom: { x: number; y: number } | undefined;
  const local = (ev: PointerEvent) => {
    const rect = canvas.getBoundingClientRect();
    return { x: ev.clientX - rect.left, y: ev.clientY - rect.top, rect };
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (media instanceof HTMLVideoElement) media.pause();
    dragFrom = local(ev);
    canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!dragFrom || !review) return;
    const p = local(ev);
    drawn = toRenderBox(dragFrom, p, { width: p.rect.width, height: p.rect.height }, review.render);
    [drawn.x, drawn.y, drawn.w, drawn.h].forEach((v, i) => (boxInputs[i]!.value = String(v)));
    draw();
  });
  canvas.addEventListener('pointerup', () => (dragFrom = undefined));

  addBox.addEventListener('click', () => {
    if (!review) return;
    readTyped();
    const atSeconds = Math.round(now() * 100) / 100;
    const candidate = isVideo()
      ? { atSeconds, fromSeconds: Number(fromInput.value), toSeconds: Number(toInput.value), box: drawn! }
      : { atSeconds: 0, fromSeconds: 0, toSeconds: 0, box: drawn! };
    const problem = boxProblem(candidate, review.render);
    if (problem) return announce(problem, 'error');
    if (edits.boxes.length >= 64) return announce('At most 64 boxes per edit set.', 'error');
    edits.boxes.push(candidate);
    drawn = undefined;
    boxInputs.forEach((i) => (i.value = ''));
    setDrawing(false);
    showPending();
    draw();
    announce(`Box added to the edits${isVideo() ? ` (${candidate.fromSeconds.toFixed(2)}–${candidate.toSeconds.toFixed(2)} s)` : ''}. Apply the edits to render them.`);
  });

  // ---- the track list and the pending edit set
  const trackButton = (t: ReviewTrack, action: TrackAction, text: string, label: string) =>
    h(
      'button',
      {
        type: 'button',
        id: `${action}-${t.id}`,
        'aria-pressed': String(edits.has(action, t.id)),
        'aria-label': `${label} (track ${t.id})`,
        onclick: () => {
          edits.toggle(action, t.id);
          showTracks();
          showPending();
          draw();
          document.getElementById(`${action}-${t.id}`)?.focus();
        },
      },
      text,
    );
  const showTracks = () => {
    if (!review) return;
    trackBody.replaceChildren(
      ...review.tracks.map((t) => {
        const s = trackState(t, edits);
        return h(
          'tr',
          { 'data-track': t.id },
          h('th', { scope: 'row' }, `#${t.id}`),
          h('td', {}, t.class),
          h('td', {}, `${(t.firstFrame / fps()).toFixed(1)}–${(t.lastFrame / fps()).toFixed(1)} s`),
          h('td', { class: t.kept ? 'kept' : 'obscured' }, s.now),
          h('td', {}, s.pending || '—'),
          h(
            'td',
            { class: 'actions' },
            t.class !== 'plate' ? trackButton(t, 'keep', 'Keep as subject', 'Keep as subject') : undefined,
            trackButton(t, 'obscure', 'Obscure', 'Obscure'),
            t.class === 'person' ? trackButton(t, 'body', 'Obscure whole person', 'Obscure whole person') : undefined,
          ),
        );
      }),
    );
  };
  const showPending = () => {
    const rows: HTMLElement[] = [];
    const ids = (label: string, action: TrackAction, set: Set<number>) => {
      for (const id of [...set].sort((a, b) => a - b))
        rows.push(h('li', {}, `${label} track #${id} `, h('button', { type: 'button', class: 'link', onclick: () => (edits.toggle(action, id), showTracks(), showPending(), draw()) }, `Remove (${label.toLowerCase()} #${id})`)));
    };
    ids('Keep as subject', 'keep', edits.keep);
    ids('Obscure', 'obscure', edits.obscure);
    ids('Obscure whole person', 'body', edits.bodies);
    edits.boxes.forEach((b, i) =>
      rows.push(
        h(
          'li',
          {},
          `Box ${i + 1}: ${b.box.x}, ${b.box.y}, ${b.box.w} × ${b.box.h} px${isVideo() ? `, ${b.fromSeconds.toFixed(2)}–${b.toSeconds.toFixed(2)} s (drawn at ${b.atSeconds.toFixed(2)} s)` : ''} `,
          h('button', { type: 'button', class: 'link', onclick: () => (edits.boxes.splice(i, 1), showPending(), draw()) }, `Remove box ${i + 1}`),
        ),
      ),
    );
    pendingList.replaceChildren(...(rows.length ? rows : [h('li', { class: 'muted' }, 'No edits: the render is as the engine made it.')]));
    const unapplied = !!review && edits.differsFrom(review.edits);
    applyButton.disabled = !review || review.state !== 'ready' || !unapplied;
    // Approval publishes the render shown: with edits not applied yet it would publish without them.
    approveButton.disabled = !review || review.state !== 'ready' || unapplied;
    approveButton.title = unapplied ? 'Apply or remove the pending edits first: approving publishes the render shown' : '';
  };
  const showHistory = () => {
    const history = review?.history ?? [];
    historyBody.replaceChildren(
      ...(history.length ? [] : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No edits or decisions yet: version 0 is the automatic render.'))]),
      ...history.map((e) => h('tr', {}, h('td', {}, e.version), h('td', {}, `${KIND_TEXT[e.kind] ?? e.kind}${e.reason ? ` (${e.reason})` : ''}`), h('td', {}, e.by.slice(0, 16)), h('td', {}, utc(e.at)))),
    );
  };

  // ---- loading the review and its render
  const stateText = (r: ReviewView) =>
    r.state === 'rendering'
      ? 'Rendering… the edits are applied to the original and checked again; the preview updates when the render is ready.'
      : r.state === 'decided'
        ? `Decided: ${decision(r)}; the evidence is ${r.status === 'awaiting-review' ? 'being processed' : r.status}.`
        : `Render version ${r.render.version}${r.render.version === 0 ? ' (automatic)' : ''} ready for review.`;

  const decision = (r: ReviewView) => {
    const last = [...r.history].reverse().find((e) => e.kind === 'approved' || e.kind === 'rejected' || e.kind === 'deadline');
    return last ? `${KIND_TEXT[last.kind]} (render version ${last.version}, ${utc(last.at)})` : 'no further edits';
  };

  const loadPreview = async () => {
    if (!review) return;
    const blob = await reviewPreview(incidentId, evidenceId);
    const url = URL.createObjectURL(blob);
    const at = now();
    const label = `Redacted preview, render version ${review.render.version}`;
    media = (review.render.contentType ?? blob.type).startsWith('image/')
      ? h('img', { src: url, alt: label, id: 'review-media' })
      : h('video', { src: url, controls: true, muted: true, playsinline: true, preload: 'auto', id: 'review-media', 'aria-label': label });
    if (media instanceof HTMLVideoElement) {
      const v = media;
      v.addEventListener('loadedmetadata', () => {
        if (at > 0) v.currentTime = Math.min(at, v.duration || at);
        draw();
      });
      for (const e of ['seeked', 'timeupdate', 'pause']) v.addEventListener(e, draw);
      v.addEventListener('play', () => {
        setDrawing(false);
        animate();
      });
    } else media.addEventListener('load', draw);
    stage.replaceChildren(media, canvas);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = url;
  };

  const show = (r: ReviewView, reloadMedia: boolean) => {
    const renderChanged = review?.render.version !== r.render.version;
    review = r;
    state.textContent = stateText(r);
    state.className = `status ${r.state}`;
    reasons.replaceChildren(...(r.reasons.length ? r.reasons.map((x) => h('li', { 'data-reason': x }, reasonText(x))) : [h('li', {}, 'Review is required for every item of your organisation.')]));
    deadline.textContent = `Decide by ${utc(r.deadline)} (in review since ${utc(r.since)}); after that the evidence is quarantined and the original deleted.`;
    if (r.failedFrames.length) deadline.textContent += ` Frames the check could not clear: ${r.failedFrames.slice(0, 20).join(', ')}${r.failedFrames.length > 20 ? '…' : ''}.`;
    const busy = r.state !== 'ready';
    rejectButton.disabled = busy; // the API refuses decisions while a render is under way
    addBox.disabled = busy;
    showTracks();
    showPending();
    showHistory();
    if (reloadMedia || renderChanged) void loadPreview().catch((err: unknown) => announce(`Could not load the redacted preview: ${problemText(err)}`, 'error'));
    else draw();
  };

  const load = async (resetEdits: boolean) => {
    const r = await api<ReviewView>('GET', `${base}/review`);
    if (resetEdits) edits = new EditSet(r.edits);
    show(r, resetEdits);
    if (r.state === 'rendering') schedule();
  };

  /** While a render is under way: poll until it is ready, then reload the preview and tracks. */
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void pollRender(), 1500);
  };
  const pollRender = async () => {
    if (stopped) return;
    try {
      const r = await api<ReviewView>('GET', `${base}/review`);
      if (r.state === 'rendering') {
        show(r, false);
        return schedule();
      }
      edits = new EditSet(r.edits);
      show(r, true);
      const failed = r.history.at(-1)?.kind === 'render-failed' ? r.history.at(-1) : undefined;
      if (failed) announce(`The render of edits version ${failed.version} failed${failed.reason ? ` (${failed.reason})` : ''}; render version ${r.render.version} stays. Edit and apply again, or reject.`, 'error');
      else announce(r.state === 'ready' ? `Render version ${r.render.version} is ready: check it, then approve or edit again.` : `The evidence is now ${r.status}.`);
    } catch (err) {
      announce(`Could not follow the render: ${problemText(err)}`, 'error');
      schedule();
    }
  };

  applyButton.addEventListener('click', async () => {
    if (!review) return;
    applyButton.disabled = true;
    try {
      const res = await api<{ version: number; state: string }>('POST', `${base}/review/edits`, edits.body(review.edits?.version ?? 0));
      review = { ...review, state: 'rendering' };
      show(review, false);
      announce(`Edits version ${res.version} sent. Rendering…`);
      schedule();
    } catch (err) {
      announce(`Could not apply the edits: ${problemText(err)}`, 'error');
      showPending();
    }
  });
  approveButton.addEventListener('click', async () => {
    if (!review) return;
    approveButton.disabled = true;
    try {
      await api('POST', `${base}/review/approve`, { version: review.render.version });
      announce(`Render version ${review.render.version} approved: publishing.`);
      location.hash = back;
    } catch (err) {
      announce(`Could not approve: ${problemText(err)}`, 'error');
      approveButton.disabled = false;
    }
  });
  const confirming = (on: boolean) => {
    rejectButton.hidden = on;
    rejectConfirm.hidden = !on;
    rejectCancel.hidden = !on;
    (on ? rejectConfirm : rejectButton).focus();
  };
  rejectButton.addEventListener('click', () => confirming(true));
  rejectCancel.addEventListener('click', () => confirming(false));
  rejectConfirm.addEventListener('click', async () => {
    try {
      await api('POST', `${base}/review/reject`, { reason: rejectReason.value });
      announce('Rejected: the evidence is quarantined and its original deleted.');
      location.hash = back;
    } catch (err) {
      announce(`Could not reject: ${problemText(err)}`, 'error');
      confirming(false);
    }
  });

  window.addEventListener('resize', draw);
  render(
    'Review',
    h(
      'section',
      { 'aria-labelledby': 'review-h', id: 'review' },
      h('p', {}, h('a', { href: back }, '← Back to the incident')),
      h('h1', { id: 'review-h' }, 'Review the redaction'),
      state,
      h('h2', {}, 'Why it needs review'),
      reasons,
      deadline,
      h('div', { class: 'review-grid' }, h('div', {}, stage, legend), h(
        'div',
        {},
        h('h2', { id: 'tracks-h' }, 'Tracks'),
        h(
          'table',
          { id: 'review-tracks', 'aria-labelledby': 'tracks-h' },
          h('thead', {}, h('tr', {}, ...['Track', 'Class', 'Seen', 'Now', 'Pending', 'Change'].map((t) => h('th', { scope: 'col' }, t)))),
          trackBody,
        ),
      )),
      h(
        'fieldset',
        { id: 'review-box' },
        h('legend', {}, 'Obscure a region over a span of time'),
        h('p', { class: 'hint' }, 'Pause where the region is visible, press “Draw box” and drag over the picture (or type the box in video pixels). The box follows the person or face it lies on.'),
        drawButton,
        h('div', { class: 'boxfields' }, field('Box left (px)', boxInputs[0]!), field('Box top (px)', boxInputs[1]!), field('Box width (px)', boxInputs[2]!), field('Box height (px)', boxInputs[3]!)),
        h('div', { class: 'boxfields' }, field('From (seconds)', fromInput), field('To (seconds)', toInput)),
        addBox,
      ),
      h('h2', {}, 'Pending edits'),
      pendingList,
      h('div', { class: 'row actions' }, applyButton, approveButton),
      h('fieldset', { id: 'review-reject-box' }, h('legend', {}, 'Reject'), field('Reason', rejectReason), rejectButton, rejectConfirm, rejectCancel),
      h('h2', { id: 'history-h' }, 'Edit history'),
      h(
        'table',
        { id: 'review-history', 'aria-labelledby': 'history-h' },
        h('thead', {}, h('tr', {}, ...['Version', 'What', 'By', 'When'].map((t) => h('th', { scope: 'col' }, t)))),
        historyBody,
      ),
    ),
  );
  void load(true).catch((err: unknown) => {
    state.textContent = 'This item cannot be reviewed.';
    announce(`Could not load the review: ${problemText(err)}`, 'error');
  });
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (frameRequest !== undefined) cancelAnimationFrame(frameRequest);
    window.removeEventListener('resize', draw);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  };
}
