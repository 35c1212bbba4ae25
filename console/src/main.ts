import { api, roles, setRoles, setToken, signedIn, whenSignedOut } from './api.js';
import { announce, h } from './dom.js';
import { beginSignIn, parsePending, readCallback, tokenRequest, type EntraSettings } from './pkce.js';
import { listView } from './list-view.js';
import { createView } from './create-view.js';
import { incidentView } from './incident-view.js';
import { reviewView } from './review-view.js';
import { settingsView } from './settings-view.js';

/**
 * The investigator console: plain TypeScript modules compiled by tsc, no framework, no third-party
 * asset. Routes live in the fragment (#/incidents, #/incidents/<id>, #/incidents/<id>/evidence/<eid>/review,
 * #/new, #/settings); tokens in memory only.
 */

type SignInConfig =
  | { signIn: 'development'; tenantId: string; roles: string[] }
  | ({ signIn: 'entra' } & EntraSettings)
  | { signIn: 'unavailable'; detail: string };

const PENDING_KEY = 'bystander.pkce';
const main = document.getElementById('main') as HTMLElement;
let config: SignInConfig;
/** Stops a view's timers when the route changes. */
let leave: (() => void) | undefined;

function render(title: string, ...content: HTMLElement[]): void {
  main.replaceChildren(...content);
  document.title = `${title} · Bystander`;
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}
export type Render = typeof render;

function signInView(): void {
  const box = h('section', { class: 'card narrow', 'aria-labelledby': 'signin-h' }, h('h1', { id: 'signin-h' }, 'Sign in'));
  if (config.signIn === 'development') {
    const boxes = (['uploader', 'investigator', 'admin'] as const).map((r) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'role', value: r, checked: true }), ` ${r}`),
    );
    const form = h(
      'form',
      {
        id: 'dev-signin',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const chosen = boxes.map((b) => b.querySelector('input')!).filter((i) => i.checked).map((i) => i.value);
          void devSignIn(chosen);
        },
      },
      h('p', {}, `Local stack: development sign-in for tenant “${config.tenantId}”. Refused in Azure, where the console signs in with Entra ID.`),
      h('fieldset', {}, h('legend', {}, 'Roles'), ...boxes),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in (development)'),
    );
    box.append(form);
  } else if (config.signIn === 'entra') {
    const entra = config;
    box.append(
      h('p', {}, 'Sign in with your organisation account (Microsoft Entra ID).'),
      h('button', { type: 'button', class: 'primary', id: 'entra-signin', onclick: () => void entraSignIn(entra) }, 'Sign in with Microsoft Entra ID'),
    );
  } else {
    box.append(h('p', { class: 'error' }, config.detail));
  }
  render('Sign in', box);
}

async function devSignIn(chosen: string[]): Promise<void> {
  try {
    const res = await api<{ accessToken: string; roles: string[] }>('POST', 'dev/sign-in', { roles: chosen });
    setToken(res.accessToken);
    setRoles(res.roles);
    announce(`Signed in (development) as ${res.roles.join(', ')}`);
    location.hash = '#/incidents';
    route();
  } catch (err) {
    announce(`Sign-in failed: ${(err as Error).message}`, 'error');
  }
}

function redirectUri(): string {
  return `${location.origin}/console/`;
}

async function entraSignIn(settings: EntraSettings): Promise<void> {
  const { pending, url } = await beginSignIn(settings, redirectUri(), Date.now());
  // Only the one-time verifier and state cross the redirect (this tab's sessionStorage); never a token.
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(url);
}

/** Back from Entra ID: check the state, redeem the code with the verifier, keep the token in memory. */
async function completeEntraSignIn(settings: EntraSettings): Promise<void> {
  const query = new URLSearchParams(location.search);
  const pending = parsePending(sessionStorage.getItem(PENDING_KEY));
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', '/console/'); // the code leaves the address bar at once
  const callback = readCallback(query, pending, Date.now());
  if ('error' in callback || !pending) {
    announce(`Sign-in failed: ${'error' in callback ? callback.error : 'no pending sign-in'}`, 'error');
    return;
  }
  const { url, body } = tokenRequest(settings, pending, callback.code);
  const res = await fetch(url, { method: 'POST', body, cache: 'no-store' });
  const json = (await res.json()) as { access_token?: string; error_description?: string };
  if (!res.ok || !json.access_token) {
    announce(`Sign-in failed: ${json.error_description?.slice(0, 200) ?? res.status}`, 'error');
    return;
  }
  setToken(json.access_token);
  setRoles(rolesOf(json.access_token));
  location.hash = '#/incidents';
}

/** The roles claim, for showing or hiding controls only (the API decides). */
function rolesOf(jwt: string): string[] {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { roles?: string[] };
    return payload.roles ?? [];
  } catch {
    return [];
  }
}

function route(): void {
  leave?.();
  leave = undefined;
  const nav = document.getElementById('nav') as HTMLElement;
  nav.hidden = !signedIn();
  const settingsLink = document.getElementById('nav-settings');
  if (settingsLink) settingsLink.hidden = !roles().includes('admin');
  if (!signedIn()) return signInView();
  const hash = location.hash || '#/incidents';
  const incident = /^#\/incidents\/([\w-]{1,64})$/.exec(hash);
  const review = /^#\/incidents\/([\w-]{1,64})\/evidence\/([\w-]{1,64})\/review$/.exec(hash);
  if (incident) leave = incidentView(render, incident[1]!);
  else if (review) leave = reviewView(render, review[1]!, review[2]!);
  else if (hash === '#/settings') leave = settingsView(render);
  else if (hash === '#/new') leave = createView(render);
  else leave = listView(render);
}

async function start(): Promise<void> {
  config = await api<SignInConfig>('GET', 'console/sign-in');
  whenSignedOut(() => {
    announce('Your session ended; sign in again.', 'error');
    route();
  });
  document.getElementById('signout')?.addEventListener('click', () => {
    setToken(undefined);
    setRoles([]);
    route();
  });
  if (config.signIn === 'entra' && new URLSearchParams(location.search).has('state')) await completeEntraSignIn(config);
  window.addEventListener('hashchange', route);
  route();
}

void start().catch((err: unknown) => announce(`The console could not start: ${(err as Error).message}`, 'error'));
