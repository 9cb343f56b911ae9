// The failure converter of every workflow bundle, worker and client hookflow makes: a failure's
// message and stack trace move into its encoded attributes, a payload, so the payload codec seals
// them like any input or result (an exception's text often quotes the payload it failed on). The
// Temporal UI and `temporal` CLI read them back through the codec endpoint.
// https://docs.temporal.io/failure-converter#encodeCommonAttributes
// Loaded by path (workflow bundles import it inside the sandbox), so it exports only the converter.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
