import { describe, expect, it } from 'vitest';
import { DeclaredEvidenceSchema } from './incident.js';
import { RedactionJobSchema, SubjectHintSchema } from './redaction.js';

/** Issue 12 item 4: subject hints as a box or a point; keep-track ids in the job and the declaration. */
describe('subject hints, keep-track ids and the bystander mode in the contracts', () => {
  it('a subject hint is a box or a point, never both or neither; unknown fields are refused', () => {
    expect(SubjectHintSchema.safeParse({ atSeconds: 1, box: { x: 1, y: 2, w: 3, h: 4 } }).success).toBe(true);
    expect(SubjectHintSchema.safeParse({ atSeconds: 1, point: { x: 10, y: 20 } }).success).toBe(true);
    expect(SubjectHintSchema.safeParse({ atSeconds: 1 }).success).toBe(false);
    expect(SubjectHintSchema.safeParse({ atSeconds: 1, box: { x: 1, y: 2, w: 3, h: 4 }, point: { x: 1, y: 1 } }).success).toBe(false);
    expect(SubjectHintSchema.safeParse({ atSeconds: 1, point: { x: 1, y: 1, z: 0 } }).success).toBe(false);
    expect(SubjectHintSchema.safeParse({ atSeconds: 1, point: { x: -1, y: 1 } }).success).toBe(false);
  });

  it('the evidence declaration takes keep-track ids (whole numbers, at most 64) and nothing unknown', () => {
    const base = { fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 10 };
    expect(DeclaredEvidenceSchema.parse({ ...base, keepTracks: [2, 83] }).keepTracks).toEqual([2, 83]);
    expect(DeclaredEvidenceSchema.safeParse({ ...base, keepTracks: [1.5] }).success).toBe(false);
    expect(DeclaredEvidenceSchema.safeParse({ ...base, keepTracks: [-1] }).success).toBe(false);
    expect(DeclaredEvidenceSchema.safeParse({ ...base, keepTracks: Array.from({ length: 65 }, (_, i) => i) }).success).toBe(false);
    expect(DeclaredEvidenceSchema.safeParse({ ...base, keepTrack: [1] }).success).toBe(false);
  });

  it('the redaction job takes keep-track ids and the bystander mode (heads | bodies)', () => {
    const job = {
      version: 1,
      jobId: 'j',
      tenantId: 't',
      incidentId: 'i',
      evidenceId: 'e',
      attempt: 1,
      mediaKind: 'video',
      source: { container: 'ingest', name: 't/i/e' },
      sourceSha256: 'a'.repeat(64),
      output: { container: 'evidence', name: 'o' },
      report: { container: 'reports', name: 'r' },
      targets: ['faces'],
      style: 'pixelate',
      subjects: [{ atSeconds: 2, point: { x: 5, y: 6 } }],
      keepAudio: false,
      encryption: { keyRef: 'k', wrappedKey: { keyId: 'https://kv/keys/k/1', algorithm: 'RSA-OAEP-256', wrapped: 'A'.repeat(32) } },
    };
    const parsed = RedactionJobSchema.safeParse({ ...job, keepTracks: [83], bystanders: 'bodies' });
    expect(parsed.success ? parsed.data : parsed.error.message).toMatchObject({ keepTracks: [83], bystanders: 'bodies' });
    expect(RedactionJobSchema.safeParse({ ...job, bystanders: 'everyone' }).success).toBe(false);
    expect(RedactionJobSchema.safeParse({ ...job, keepTracks: ['83'] }).success).toBe(false);
  });
});
