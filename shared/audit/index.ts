/** Tamper-evident audit trail: event schema, hash chain, store port, recorder and verifier. */
export * from './event.js';
export * from './origin.js';
export * from './store.js';
export * from './audit-log.js';
export * from './verify.js';
export * from './checkpoint.js';
