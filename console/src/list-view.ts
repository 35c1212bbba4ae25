import { api, type ListRow } from './api.js';
import { announce, field, h, utc } from './dom.js';
import type { Render } from './main.js';

const CATEGORIES = ['theft', 'violence', 'criminal-damage', 'fraud', 'antisocial', 'other'];
const STATUSES = ['awaiting-upload', 'processing', 'awaiting-review', 'published', 'quarantined', 'rejected'];

function select(name: string, options: string[]): HTMLSelectElement {
  return h('select', { name }, h('option', { value: '' }, 'any'), ...options.map((o) => h('option', { value: o }, o)));
}

/** Dates from <input type="date"> as UTC day bounds. */
function dayStart(value: string): string | undefined {
  return value ? `${value}T00:00:00.000Z` : undefined;
}
function dayAfter(value: string): string | undefined {
  return value ? new Date(Date.parse(`${value}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined;
}

export function listView(render: Render): () => void {
  const store = h('input', { name: 'storeId', type: 'text', pattern: '[A-Za-z0-9_-]{1,64}', autocomplete: 'off' });
  const from = h('input', { name: 'from', type: 'date' });
  const to = h('input', { name: 'to', type: 'date' });
  const category = select('category', CATEGORIES);
  const status = select('status', STATUSES);
  const body = h('tbody', {});
  const more = h('button', { type: 'button', id: 'more', hidden: true }, 'Next page');
  const count = h('p', { id: 'count', class: 'muted', 'aria-live': 'polite' });
  let continuation: string | undefined;
  let shown = 0;

  const load = async (append: boolean) => {
    const q = new URLSearchParams();
    const add = (k: string, v: string | undefined) => v && q.set(k, v);
    add('storeId', store.value.trim());
    add('from', dayStart(from.value));
    add('to', dayAfter(to.value));
    add('category', category.value);
    add('status', status.value);
    q.set('limit', '20');
    if (append && continuation) q.set('continuation', continuation);
    try {
      const page = await api<{ incidents: ListRow[]; continuation?: string }>('GET', `incidents?${q}`);
      if (!append) {
        body.replaceChildren();
        shown = 0;
      }
      for (const row of page.incidents) body.append(rowOf(row));
      shown += page.incidents.length;
      // A store may hand out a token and then an empty page: that ends the list too.
      continuation = append && page.incidents.length === 0 ? undefined : page.continuation;
      more.hidden = !continuation;
      count.textContent = shown ? `${shown} incident${shown === 1 ? '' : 's'} shown${continuation ? ' (more available)' : ''}` : 'No incidents match.';
    } catch (err) {
      announce(`Could not load incidents: ${(err as Error).message}`, 'error');
    }
  };
  more.addEventListener('click', () => void load(true));

  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter incidents', onsubmit: (ev: Event) => (ev.preventDefault(), void load(false)) },
    field('Store', store),
    field('From (UTC date)', from),
    field('To (UTC date)', to),
    field('Category', category),
    field('Evidence status', status),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  render(
    'Incidents',
    h(
      'section',
      { 'aria-labelledby': 'list-h' },
      h('div', { class: 'row' }, h('h1', { id: 'list-h' }, 'Incidents'), h('a', { href: '#/new', class: 'button primary', id: 'new-incident' }, 'New incident')),
      form,
      count,
      h(
        'table',
        { id: 'incidents' },
        h('caption', { class: 'sr-only' }, 'Incidents of your organisation, newest first'),
        h('thead', {}, h('tr', {}, ...['Occurred', 'Store', 'Category', 'Evidence', 'Incident'].map((t) => h('th', { scope: 'col' }, t)))),
        body,
      ),
      more,
    ),
  );
  void load(false);
  return () => undefined;
}

function rowOf(row: ListRow): HTMLElement {
  const counts = new Map<string, number>();
  for (const e of row.evidence) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  return h(
    'tr',
    {},
    h('td', {}, utc(row.occurredAt)),
    h('td', {}, row.storeId),
    h('td', {}, row.category),
    h('td', {}, ...[...counts].map(([s, n]) => h('span', { class: `badge ${s}` }, `${n} ${s}`))),
    h('td', {}, h('a', { href: `#/incidents/${row.id}` }, `Open ${row.id.slice(0, 8)}…`)),
  );
}
