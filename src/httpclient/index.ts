// The outgoing HTTP pieces that scraping and the notification channels share, as Prometheus'
// common HTTP client has them: the proxy decision (proxy_url with no_proxy, or the environment,
// read as Go reads them), a request sent direct, through a forward proxy or through a CONNECT
// tunnel (kept open between requests by its owner's tunnel agents), Go's redirect rules, Go's
// wording of request errors, and the OAuth 2.0 client-credentials token source. Reading bodies
// and deadlines stay with each caller. Depends on node: modules only.
export { bypassed, proxyFor, type Proxy, type ProxySettings } from './proxy.ts';
export { send, type SendOptions } from './send.ts';
export { createTunnelAgents, type TunnelAgents } from './tunnel.ts';
export { goReadError, goRequestError, goUrlError, noteError, socketPair } from './goerror.ts';
export { MAX_REDIRECTS, redirectFrom, tooManyRedirects, type Hop } from './redirect.ts';
export { clientCredentialsToken, TokenError, type ClientCredentials } from './oauth2.ts';
export { proxyOf, requestHeaders, tlsSettingOptions, type ReadSettingFile, type RequestAuthSettings } from './clientconfig.ts';
