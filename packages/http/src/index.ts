export {
  createConnectHandler, type ConnectAction, type ConnectAuth, type ConnectedEvent, type ConnectErrorEvent, type ConnectHandler,
  type ConnectHandlerOptions, type ConnectLogEntry,
} from './createConnectHandler.js';
export { CsrfTokens, MIN_SECRET_CHARS, type CsrfTokensOptions } from './CsrfTokens.js';
export { ReturnToPolicy, type AllowedReturnTo, type ReturnToOptions } from './ReturnToPolicy.js';
export {
  HttpErrorCode, ConnectRouteError, describeFailure, failureOf, oauthErrorOf, statusForCode, type ConnectErrorCode, type ConnectFailure,
} from './HttpErrorCode.js';
export { escapeHtml, formatExpiry, renderConnectPage, renderMessagePage, type ConnectPageOptions, type ConnectPageView, type PageMessage, type PageProvider, type RenderedPage } from './connectPage.js';
