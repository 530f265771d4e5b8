// The express application: health, readiness and the two admission endpoints.
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { admissionRoute, type AdmissionHandler } from './admissionRoute.js';
import type { WebhookMetrics } from './metrics.js';

export const BODY_LIMIT = '3mb';

export interface AppDeps {
  mutate: AdmissionHandler;
  validate: AdmissionHandler;
  metrics: WebhookMetrics;
  log: Logger;
  /** False while starting and while draining for shutdown. */
  isReady(): boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => {
    if (deps.isReady()) res.type('text/plain').send('ok');
    else res.status(503).type('text/plain').send('not ready');
  });
  const body = [requireJson, express.json({ limit: BODY_LIMIT, type: () => true, strict: false })];
  app.post('/mutate', ...body, admissionRoute('mutate', deps.mutate, deps.metrics, deps.log));
  app.post('/validate', ...body, admissionRoute('validate', deps.validate, deps.metrics, deps.log));
  app.use(bodyErrors(deps.log));
  return app;
}

/** The apiserver always sends application/json; anything else is a client mistake. */
const requireJson: RequestHandler = (req, res, next) => {
  if (req.is('application/json')) return next();
  res.status(415).json({ error: `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}: send application/json` });
};

function bodyErrors(log: Logger): ErrorRequestHandler {
  return (err: { type?: string; status?: number; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.too.large') {
      res.status(413).json({ error: `AdmissionReview larger than ${BODY_LIMIT}` });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: `malformed AdmissionReview: body is not valid JSON` });
    } else if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message ?? 'bad request' });
    } else {
      log.error('unexpected HTTP error', { error: err.message });
      res.status(500).json({ error: 'internal error' });
    }
  };
}
