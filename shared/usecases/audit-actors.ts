import type { Principal } from '../auth/tokens.js';

/** The audit actor for a signed-in user: opaque subject id and first role, never a name. */
export const userActor = (p: Principal) => ({ type: 'user' as const, id: p.subject, role: p.roles[0] });

/** Spreads the client origin into an audit input when there is one (the adapter pseudonymises it). */
export const withOrigin = (origin: string | undefined) => (origin ? { origin } : {});
