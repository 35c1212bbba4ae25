import { api, type IncidentView, type UploadSlot } from './api.js';
import { announce, bytes, field, h } from './dom.js';
import type { Render } from './main.js';
import { sha256Hex, uploadFile, type StagedBlocks } from './upload.js';

const CATEGORIES = ['theft', 'violence', 'criminal-damage', 'fraud', 'antisocial', 'other'];
const TYPES: Record<string, string> = {
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', mkv: 'video/x-matroska', avi: 'video/x-msvideo', ts: 'video/mp2t', m2ts: 'video/mp2t',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp',
};
/** Files up to this size are hashed in the browser and the hash declared (the service checks it). */
const HASH_LIMIT = 512 * 1024 * 1024;

interface Hint {
  atSeconds: number;
  box: { x: number; y: number; w: number; h: number };
}

function contentTypeOf(file: File): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  return Object.values(TYPES).includes(file.type) ? file.type : TYPES[ext];
}

/** A file name the API accepts (letters, digits, spaces, . _ - ( )). */
function safeName(name: string): string {
  const cleaned = name.replace(/[^\w.\- ()]/g, '_').replace(/^\.+/, '').replace(/\.\.+/g, '.').slice(-128);
  return cleaned || 'evidence';
}

export function createView(render: Render): () => void {
  let objectUrl: string | undefined;
  let file: File | undefined;
  const hints: Hint[] = [];

  const store = h('input', { name: 'storeId', required: true, pattern: '[A-Za-z0-9_-]{1,64}', value: 'store-001', autocomplete: 'off' });
  const occurred = h('input', { name: 'occurredAt', type: 'datetime-local', required: true, step: 1 });
  const now = new Date(Date.now() - 60 * 60_000);
  occurred.value = new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  const category = h('select', { name: 'category' }, ...CATEGORIES.map((c) => h('option', { value: c }, c)));
  const outcome = h('select', { name: 'outcome' }, ...['none', 'reported-to-police', 'prosecution'].map((c) => h('option', { value: c }, c)));
  const description = h('textarea', { name: 'description', required: true, maxlength: 500, rows: 3 });
  const fileInput = h('input', { type: 'file', name: 'file', required: true, accept: Object.values(TYPES).join(',') });

  // Marking the subject on the local file: it plays from an object URL and is never sent to be viewed.
  const stage = h('div', { class: 'stage', hidden: true });
  const canvas = h('canvas', { class: 'overlay', 'aria-hidden': 'true' });
  const boxInputs = (['x', 'y', 'w', 'h'] as const).map((k) => h('input', { type: 'number', min: 0, step: 1, name: `box-${k}`, inputmode: 'numeric' }));
  const hintList = h('ul', { id: 'hints', class: 'hints' });
  const markButton = h('button', { type: 'button', id: 'mark-subject' }, 'Add subject mark at the current time');
  // Drawing mode: the overlay takes the pointer only while it is on (the player's controls stay usable).
  const drawButton = h('button', { type: 'button', id: 'draw-box', 'aria-pressed': 'false' }, 'Draw a box on the picture');
  drawButton.addEventListener('click', () => {
    const on = !canvas.classList.contains('drawing');
    canvas.classList.toggle('drawing', on);
    drawButton.setAttribute('aria-pressed', String(on));
    drawButton.textContent = on ? 'Stop drawing (use the player again)' : 'Draw a box on the picture';
    if (on && media instanceof HTMLVideoElement) media.pause();
  });
  const marker = h(
    'fieldset',
    { id: 'marker', hidden: true },
    h('legend', {}, 'Mark the offender (optional)'),
    h('p', { class: 'hint' }, 'Play the video to where the offender is clearly visible, press “Draw a box” and drag a box around them on the picture (or type the box in video pixels). The file stays on this computer until you upload it.'),
    stage,
    drawButton,
    h('div', { class: 'boxfields' }, field('Box left (px)', boxInputs[0]!), field('Box top (px)', boxInputs[1]!), field('Box width (px)', boxInputs[2]!), field('Box height (px)', boxInputs[3]!)),
    markButton,
    hintList,
  );
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0, 'aria-label': 'Upload progress' });
  const progressText = h('p', { id: 'upload-text', 'aria-live': 'polite' });
  const progressBox = h('div', { id: 'upload', hidden: true }, h('h2', {}, 'Upload'), progress, progressText);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'create-submit' }, 'Create incident and upload');

  let media: HTMLVideoElement | HTMLImageElement | undefined;
  const mediaSize = () => (media instanceof HTMLVideoElement ? { w: media.videoWidth, hh: media.videoHeight } : { w: media?.naturalWidth ?? 0, hh: media?.naturalHeight ?? 0 });
  const draw = () => {
    const ctx = canvas.getContext('2d');
    if (!ctx || !media) return;
    canvas.width = media.clientWidth;
    canvas.height = media.clientHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const { w } = mediaSize();
    const scale = w ? canvas.width / w : 1;
    const [x, y, bw, bh] = boxInputs.map((i) => Number(i.value) || 0);
    if (bw! > 0 && bh! > 0) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#ffcc00';
      ctx.strokeRect(x! * scale, y! * scale, bw! * scale, bh! * scale);
    }
  };
  boxInputs.forEach((i) => i.addEventListener('input', draw));

  let dragFrom: { x: number; y: number } | undefined;
  const toMedia = (ev: PointerEvent) => {
    const rect = canvas.getBoundingClientRect();
    const { w, hh } = mediaSize();
    const sx = w / rect.width;
    const sy = hh / rect.height;
    return { x: Math.max(0, Math.min(w, (ev.clientX - rect.left) * sx)), y: Math.max(0, Math.min(hh, (ev.clientY - rect.top) * sy)) };
  };
  canvas.addEventListener('pointerdown', (ev) => {
    if (media instanceof HTMLVideoElement) media.pause();
    dragFrom = toMedia(ev);
    canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!dragFrom) return;
    const p = toMedia(ev);
    const vals = [Math.min(dragFrom.x, p.x), Math.min(dragFrom.y, p.y), Math.abs(p.x - dragFrom.x), Math.abs(p.y - dragFrom.y)];
    boxInputs.forEach((input, i) => (input.value = String(Math.round(vals[i]!))));
    draw();
  });
  canvas.addEventListener('pointerup', () => (dragFrom = undefined));

  const showHints = () =>
    hintList.replaceChildren(
      ...hints.map((hint, i) =>
        h(
          'li',
          {},
          `Subject at ${hint.atSeconds.toFixed(2)} s: box ${hint.box.x}, ${hint.box.y}, ${hint.box.w} × ${hint.box.h} px `,
          h('button', { type: 'button', class: 'link', onclick: () => (hints.splice(i, 1), showHints()) }, `Remove mark ${i + 1}`),
        ),
      ),
    );
  markButton.addEventListener('click', () => {
    const [x, y, w, hh] = boxInputs.map((i) => Math.round(Number(i.value) || 0));
    if (!(w! > 0 && hh! > 0)) return announce('Drag a box around the offender first (or type its size).', 'error');
    const atSeconds = media instanceof HTMLVideoElement ? Math.round(media.currentTime * 100) / 100 : 0;
    if (hints.length >= 16) return announce('At most 16 marks per file.', 'error');
    hints.push({ atSeconds, box: { x: x!, y: y!, w: w!, h: hh! } });
    showHints();
    announce(`Subject marked at ${atSeconds.toFixed(2)} s.`);
  });

  fileInput.addEventListener('change', () => {
    file = fileInput.files?.[0];
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    hints.length = 0;
    showHints();
    if (!file) return;
    const type = contentTypeOf(file);
    if (!type) return announce('This file type is not accepted (videos: MP4, MOV, MKV, AVI, MPEG-TS; images: JPEG, PNG, WebP).', 'error');
    objectUrl = URL.createObjectURL(file);
    media = type.startsWith('video/')
      ? h('video', { src: objectUrl, controls: true, muted: true, playsinline: true, preload: 'metadata', id: 'local-video', 'aria-label': `Your file ${file.name} (played locally)` })
      : h('img', { src: objectUrl, id: 'local-image', alt: `Your file ${file.name} (shown locally)` });
    media.addEventListener(media instanceof HTMLVideoElement ? 'loadedmetadata' : 'load', draw);
    stage.replaceChildren(media, canvas);
    stage.hidden = false;
    marker.hidden = false;
  });

  const form = h(
    'form',
    { id: 'create-form', onsubmit: (ev: Event) => (ev.preventDefault(), void send()) },
    field('Store', store),
    field('When it happened (your local time)', occurred),
    field('Category', category),
    field('Outcome so far', outcome),
    field('Description (no names, no special-category data)', description, 'At most 500 characters; screened for special-category data and derogatory language.'),
    field('Footage or photo', fileInput, 'The file is uploaded once; it is redacted before anyone sees it.'),
    marker,
    submit,
  );

  async function send(): Promise<void> {
    if (!file) return announce('Choose a file first.', 'error');
    const contentType = contentTypeOf(file);
    if (!contentType) return announce('This file type is not accepted.', 'error');
    submit.disabled = true;
    try {
      progressBox.hidden = false;
      progressText.textContent = 'Preparing…';
      const sha256 = file.size <= HASH_LIMIT ? await sha256Hex(await file.arrayBuffer()) : undefined;
      const created = await api<{ incident: IncidentView; uploads: UploadSlot[] }>('POST', 'incidents', {
        storeId: store.value.trim(),
        occurredAt: new Date(occurred.value).toISOString(),
        category: category.value,
        outcome: outcome.value,
        description: description.value.trim(),
        evidence: [{ fileName: safeName(file.name), contentType, sizeBytes: file.size, ...(sha256 ? { sha256 } : {}), ...(hints.length ? { subjectHints: hints } : {}) }],
      });
      const incidentId = created.incident.id;
      let slot = created.uploads[0]!;
      const base = `incidents/${incidentId}/evidence/${slot.evidenceId}`;
      const result = await uploadFile(file, {
        url: () => slot.url,
        contentType,
        staged: async () => (await api<{ staged: StagedBlocks }>('GET', `${base}/upload`)).staged,
        renew: async () => {
          const renewed = await api<{ url?: string }>('POST', `${base}/upload-url`, {});
          if (renewed.url) slot = { ...slot, url: renewed.url };
        },
        onProgress: (sent, total, note) => {
          progress.value = total ? Math.round((sent / total) * 100) : 100;
          progressText.textContent = `${bytes(sent)} of ${bytes(total)} sent${note ? ` — ${note}` : ''}`;
        },
      });
      announce(`Uploaded (${result.blocks} blocks${result.resumed ? `, ${result.resumed} already held by the service after a dropped connection` : ''}). Redaction starts now.`);
      location.hash = `#/incidents/${incidentId}`;
    } catch (err) {
      announce(`Could not create or upload: ${(err as Error).message}`, 'error');
      submit.disabled = false;
    }
  }

  render('New incident', h('section', { 'aria-labelledby': 'new-h' }, h('h1', { id: 'new-h' }, 'New incident'), form, progressBox));
  return () => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  };
}
