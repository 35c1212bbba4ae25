import { api, problemText, roles, type ReviewMode, type TenantSettings } from './api.js';
import { announce, field, h } from './dom.js';
import type { Render } from './main.js';

const MODES: Array<[ReviewMode, string]> = [
  ['always', 'Always: a person reviews every item before it is published'],
  ['when-needed', 'When needed: a person reviews only the renders the engine is not sure of'],
  ['never', 'Never: renders the engine is not sure of are quarantined'],
];

/** The organisation's settings (admins): when evidence waits for a person's review. */
export function settingsView(render: Render): () => void {
  const section = h('section', { 'aria-labelledby': 'settings-h', id: 'settings' }, h('h1', { id: 'settings-h' }, 'Settings'));
  render('Settings', section);
  if (!roles().includes('admin')) {
    section.append(h('p', {}, 'Settings need the admin role.'));
    return () => undefined;
  }
  const mode = h('select', { name: 'review', id: 'review-mode' }, ...MODES.map(([v, t]) => h('option', { value: v }, t)));
  const deadline = h('p', { id: 'review-deadline-hours', class: 'muted' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'settings-save' }, 'Save');
  const show = (s: TenantSettings) => {
    mode.value = s.review;
    deadline.textContent = `Evidence waits at most ${s.reviewDeadlineHours} hours for a review; then it is quarantined and its original deleted.`;
  };
  const form = h(
    'form',
    {
      id: 'settings-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        save.disabled = true;
        try {
          show(await api<TenantSettings>('PUT', 'settings', { review: mode.value }));
          announce(`Saved: review ${mode.value}.`);
        } catch (err) {
          announce(`Could not save the settings: ${problemText(err)}`, 'error');
        }
        save.disabled = false;
      },
    },
    field('Review before publishing', mode, 'Applies to evidence uploaded from now on.'),
    deadline,
    save,
  );
  section.append(form);
  void api<TenantSettings>('GET', 'settings')
    .then(show)
    .catch((err: unknown) => announce(`Could not load the settings: ${problemText(err)}`, 'error'));
  return () => undefined;
}
