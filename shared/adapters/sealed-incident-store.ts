import type { IncidentRecord } from '../domain/incident.js';
import type { DocumentStore, Versioned } from '../ports/index.js';
import { decryptField, encryptField, isEncryptedField } from '../crypto/field.js';
import type { DataKeyService } from '../crypto/key-wrapper.js';

/**
 * Field-level encryption for incident records, as a decorator over the record store: the use cases
 * work with plain records, and what reaches Cosmos DB has the sensitive free text (description) and
 * subject hints sealed with the incident's own data key (AES-256-GCM, bound to tenant, incident and
 * field). A record whose wrapped key has been destroyed (crypto-shredding) reads back with those
 * fields empty: they are unrecoverable by design.
 */
export function sealedIncidentStore(inner: DocumentStore<IncidentRecord>, dataKeys: DataKeyService): DocumentStore<IncidentRecord> {
  const ctx = (doc: IncidentRecord, field: string) => ({ tenantId: doc.tenantId, incidentId: doc.id, field });
  const keyOf = async (doc: IncidentRecord) => (doc.dataKey ? dataKeys.open({ tenantId: doc.tenantId, incidentId: doc.id }, doc.dataKey) : undefined);

  async function seal(doc: IncidentRecord): Promise<IncidentRecord> {
    const key = await keyOf(doc);
    if (!key) {
      // Only a shredded record (nothing left in clear) may be stored without a key.
      if ((doc.description === '' || isEncryptedField(doc.description)) && doc.evidence.every((e) => e.subjectHints.length === 0)) return doc;
      throw new Error(`incident ${doc.id} has no data key: refusing to store its fields in clear`);
    }
    return {
      ...doc,
      description: isEncryptedField(doc.description) ? doc.description : encryptField(key, ctx(doc, 'description'), doc.description),
      evidence: doc.evidence.map((e) => {
        const { subjectHints, sealedSubjectHints: _old, ...rest } = e;
        return { ...rest, subjectHints: [], sealedSubjectHints: encryptField(key, ctx(doc, `evidence.${e.id}.subjectHints`), subjectHints) };
      }),
    };
  }

  async function open(v: Versioned<IncidentRecord>): Promise<Versioned<IncidentRecord>> {
    const doc = v.doc;
    const key = await keyOf(doc);
    const description = isEncryptedField(doc.description) ? (key ? (decryptField(key, ctx(doc, 'description'), doc.description) as string) : '') : doc.description;
    return {
      etag: v.etag,
      doc: {
        ...doc,
        description,
        evidence: doc.evidence.map((e) => {
          const { sealedSubjectHints, ...rest } = e;
          const hints = sealedSubjectHints && key ? (decryptField(key, ctx(doc, `evidence.${e.id}.subjectHints`), sealedSubjectHints) as IncidentRecord['evidence'][number]['subjectHints']) : e.subjectHints;
          return { ...rest, subjectHints: sealedSubjectHints && !key ? [] : hints };
        }),
      },
    };
  }

  return {
    async create(doc) {
      return open(await inner.create(await seal(doc)));
    },
    async get(tenantId, id) {
      const found = await inner.get(tenantId, id);
      return found ? open(found) : undefined;
    },
    async replace(doc, etag) {
      return open(await inner.replace(await seal(doc), etag));
    },
    delete: (tenantId, id) => inner.delete(tenantId, id),
    async find(tenantId, where) {
      const docs = await inner.find(tenantId, where);
      return Promise.all(docs.map(async (doc) => (await open({ doc, etag: '' })).doc));
    },
  };
}
