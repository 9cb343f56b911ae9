// The data converter every Temporal client and worker hookflow creates uses: with history encryption
// on, the payload codec (payload-codec.ts) under the same keys as the ledger's sealed values, so one
// HOOKFLOW_ENCRYPTION_KEY (new,old…) serves both. On or off, failure messages travel as payloads
// (failure-converter.ts), so every bundle and client reads them the same way.
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { encryptionKeys } from '../crypto';
import { encryptionCodec, type EncryptionCodec } from './payload-codec';

/** The failure converter's module, for workflow bundles (they load it by path inside the sandbox). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

type EncryptionConfig = Pick<Config, 'historyEncryption' | 'api' | 'dataDir'>;

/**
 * The payload codec under HOOKFLOW_ENCRYPTION_KEY, or the embedded default's data folder key when
 * none is configured (one folder, one key): processes on other machines must share
 * HOOKFLOW_ENCRYPTION_KEY, or a worker names the key it lacks.
 */
export function historyCodec(config: EncryptionConfig): EncryptionCodec {
  return encryptionCodec(encryptionKeys(config.api.encryptionKeys, config.dataDir));
}

export function dataConverterFor(config: EncryptionConfig): DataConverter {
  const failureConverterPath = FAILURE_CONVERTER_PATH;
  if (!config.historyEncryption) return { failureConverterPath };
  return { failureConverterPath, payloadCodecs: [historyCodec(config)] };
}
