// Declarative providers the tests configure, and the event names a sender could use to reach an
// object's inherited members: one definition for the unit and the integration tiers.

/** Members of Object.prototype a sender could name as an event (those the event-name pattern lets through). */
export const PROTOTYPE_EVENTS = [
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
];

/** Event in a header, base64 signature with a prefix, a fixed set of installations. */
export const TRULINKS = {
  name: 'trulinks',
  path: '/api/trulinks/webhooks',
  secrets: ['trulinks-secret'],
  headers: { delivery: 'X-TruLinks-Delivery', event: 'X-TruLinks-Event', signature: 'X-TruLinks-Signature' },
  signature: { algorithm: 'sha256', prefix: 'v1=', encoding: 'base64' },
  installationField: 'locationId',
  installations: ['loc-1'],
  events: ['ContactCreate'],
} as const;

/** Event in the payload (`type`), signed hex without a prefix. */
export const LEADHUB = {
  name: 'leadhub',
  path: '/api/leadhub/webhooks',
  secrets: ['leadhub-secret'],
  headers: { delivery: 'X-Webhook-Id', signature: 'X-Webhook-Signature' },
  eventField: 'type',
  installationField: 'location.id',
  installations: ['L1'],
  events: ['ContactCreate'],
};
