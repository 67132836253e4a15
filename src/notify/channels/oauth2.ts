// http_config.oauth2: a client-credentials token source (src/httpclient) per parsed oauth2
// section, its failures sorted as delivery failures: a refused client (4xx) fails without retry,
// an unreachable or failing token server (5xx, 429, no usable answer) retryably.
import { clientCredentialsToken, TokenError } from '../../httpclient/index.ts';
import { ChannelError } from '../types.ts';
import type { OAuth2Settings } from './config.ts';
import { readSecret, tlsOptions } from './files.ts';

type TokenSource = ReturnType<typeof clientCredentialsToken>;

// Keyed by the parsed settings: a reloaded configuration starts with no token.
const sources = new WeakMap<OAuth2Settings, TokenSource>();

/** The Authorization header value for a request, fetching a token when none is cached or it expires. */
export async function oauth2Authorization(o: OAuth2Settings, signal: AbortSignal, now: () => number = Date.now): Promise<string> {
  let source = sources.get(o);
  if (source === undefined) {
    source = clientCredentialsToken({
      clientId: o.clientID,
      // client_secret_file is read at each fetch, so a rotated secret needs no reload.
      clientSecret: () => (o.clientSecretFile !== '' ? readSecret(o.clientSecretFile) : o.clientSecret),
      scopes: o.scopes,
      tokenUrl: o.tokenURL,
      endpointParams: o.endpointParams,
      // A getter: read at each token request, so rotated TLS files are picked up as by the channels.
      get tls() {
        return o.tokenURL.startsWith('https:') ? tlsOptions(o.tlsConfig) : undefined;
      },
      proxy: o.proxy,
    }, now);
    sources.set(o, source);
  }
  try {
    return await source(signal);
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    // Refused credentials stay refused; a token server in trouble may recover.
    const retryable = e.status === 0 || e.status >= 500 || e.status === 429;
    throw new ChannelError(e.message, retryable, e.status === 0 ? undefined : e.status);
  }
}
