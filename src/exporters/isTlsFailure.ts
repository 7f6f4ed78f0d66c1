/**
 * Whether a connection failed in the TLS handshake (untrusted server, rejected or missing
 * client certificate). Such a failure is a configuration problem that no retry within the
 * export timeout can fix, so it fails at once. Node reports it by error code; grpc-js only
 * in the text of an UNAVAILABLE status.
 */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;
const TLS_TEXT = /SSL routines|certificate|self[- ]signed|unable to (get|verify)|tlsv1\d? alert|handshake|ERR_TLS_/i;

export function isTlsFailure(error: { code?: unknown; message?: string } | string): boolean {
  if (typeof error === 'string') return TLS_TEXT.test(error);
  if (typeof error.code === 'string' && TLS_CODE.test(error.code)) return true;
  return TLS_TEXT.test(error.message ?? '');
}
