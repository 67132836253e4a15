// GET /api/v1/alertmanagers in Prometheus' shape: the external Alertmanagers the rules' alerts go
// to (discovered and kept by relabel_configs, once per URL) and those relabelling dropped. Not to
// be confused with alertmanager.ts, the built-in notifier's own Alertmanager API v2.
import { sendSuccess } from './http.ts';
import type { Router } from './router.ts';

export interface AlertmanagersDeps {
  /** The sender's Alertmanagers by URL; empty lists while the rules are not running. */
  alertmanagers(): { active: readonly { url: string }[]; dropped: readonly { url: string }[] };
}

export function registerAlertmanagersRoute(router: Router, deps: AlertmanagersDeps): void {
  router.add(['GET'], '/api/v1/alertmanagers', 'alertmanagers', ({ res }) => {
    const { active, dropped } = deps.alertmanagers();
    sendSuccess(res, {
      activeAlertmanagers: active.map((a) => ({ url: a.url })),
      droppedAlertmanagers: dropped.map((a) => ({ url: a.url })),
    });
  });
}
