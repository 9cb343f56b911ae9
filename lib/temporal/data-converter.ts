// The data converter every Temporal client and worker hookflow creates uses: with history encryption
// on, the payload codec (payload-codec.ts) under the same keys as the ledger's sealed values, so one
// HOOKFLOW_ENCRYPTION_KEY (new,old…) serves both. Off, Temporal's default.
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { encryptionKeys } from '../crypto';
import { encryptionCodec } from './payload-codec';

export function dataConverterFor(
  config: Pick<Config, 'historyEncryption' | 'api' | 'dataDir'>,
): DataConverter | undefined {
  if (!config.historyEncryption) return undefined;
  // The embedded default's data folder key when none is configured (one folder, one key): processes
  // on other machines must share HOOKFLOW_ENCRYPTION_KEY, or a worker names the key it lacks.
  return { payloadCodecs: [encryptionCodec(encryptionKeys(config.api.encryptionKeys, config.dataDir))] };
}
