// The failure types are recorded in workflow histories and listed in retry policies: a released
// value never changes, so this pins every one, and the retry policies that name them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE, RATE_LIMIT_TYPES } from '../../lib/contracts/failure-types';
import {
  apiActivityOptions,
  DELIVERY_ACTIVITY,
  FINISH_DELIVERY_ACTIVITY,
  syncPagesActivityOptions,
} from '../../workflows/activity-options';

test('every failure type keeps its released value', () => {
  assert.deepEqual(FAILURE, {
    validation: 'ValidationFailed',
    accessLost: 'AccessLost',
    notFound: 'NotFound',
    rejected: 'RequestRejected',
    server: 'ServerError',
    rateLimited: 'RateLimited',
    rateLimitWait: 'RateLimitWait',
    busy: 'InstallationBusy',
    notConfigured: 'ApiNotConfigured',
    payloadUnavailable: 'PayloadUnavailable',
    malformedPayload: 'MalformedPayload',
    installationOwnedElsewhere: 'InstallationOwnedElsewhere',
    deliveryFailed: 'DeliveryFailed',
    handlerFailed: 'HandlerFailed',
    handlerMissing: 'HandlerMissing',
    storageRejected: 'StorageRejected',
  });
  assert.equal(new Set(Object.values(FAILURE)).size, Object.keys(FAILURE).length, 'no two share a value');
  assert.deepEqual(RATE_LIMIT_TYPES, ['RateLimited', 'RateLimitWait', 'InstallationBusy']);
});

test('the activity option presets keep their timeouts and retry policies', () => {
  assert.deepEqual(DELIVERY_ACTIVITY, {
    startToCloseTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['PayloadUnavailable'],
    },
  });
  assert.deepEqual(FINISH_DELIVERY_ACTIVITY, {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  const api = {
    startToCloseTimeout: 60_000,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumAttempts: 12,
      nonRetryableErrorTypes: [
        'ValidationFailed',
        'AccessLost',
        'NotFound',
        'RequestRejected',
        'RateLimitWait',
        'ApiNotConfigured',
        'PayloadUnavailable',
      ],
    },
  };
  assert.deepEqual(apiActivityOptions(60_000), api);
  assert.deepEqual(syncPagesActivityOptions(20_000), { ...api, heartbeatTimeout: 20_000 });
});
