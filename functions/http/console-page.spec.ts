import { describe, expect, it } from 'vitest';
import { blobOriginOf, consoleCsp } from './console-page.js';

describe('the console page CSP', () => {
  it('in Azure: this origin, the stamp blob endpoint (uploads) and the Entra ID authority (PKCE token exchange), nothing else', () => {
    const csp = consoleCsp({
      BYSTANDER_MODE: 'azure',
      STORAGE__blobServiceUri: 'https://stbystanderau.blob.core.windows.net/',
      STORAGE_CONNECTION_STRING: undefined,
      CONSOLE_ENTRA_AUTHORITY: 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555',
    });
    expect(csp).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; " +
        "connect-src 'self' https://stbystanderau.blob.core.windows.net https://login.microsoftonline.com; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(csp).not.toMatch(/unsafe|\*|data:/);
  });

  it('locally: Azurite from the connection string; no authority (development sign-in)', () => {
    const local = { BYSTANDER_MODE: 'local' as const, STORAGE__blobServiceUri: undefined, CONSOLE_ENTRA_AUTHORITY: 'https://login.microsoftonline.com/t' };
    const cs = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1;QueueEndpoint=http://127.0.0.1:41235/devstoreaccount1;';
    expect(consoleCsp({ ...local, STORAGE_CONNECTION_STRING: cs })).toContain("connect-src 'self' http://127.0.0.1:41234;");
    expect(blobOriginOf({ STORAGE__blobServiceUri: undefined, STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' })).toBe('http://127.0.0.1:10000');
    expect(blobOriginOf({ STORAGE__blobServiceUri: undefined, STORAGE_CONNECTION_STRING: undefined })).toBeUndefined();
  });
});
