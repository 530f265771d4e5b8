// A kubeconfig that carries only a ServiceAccount's token (TokenRequest), so the process outside
// the cluster acts with exactly the permissions the install gave that ServiceAccount.
import { writeFileSync } from 'node:fs';
import { AuthenticationV1TokenRequest, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** The username the apiserver records for the ServiceAccount (audit log, RBAC subjects). */
export function serviceAccountUser(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** Asks the apiserver for a token of sa (as admin) and writes a kubeconfig that uses only it. */
export async function writeServiceAccountKubeconfig(
  admin: KubeConfig,
  sa: ServiceAccountRef,
  path: string,
  caPem: string,
  ttlSeconds = 3600,
): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = new AuthenticationV1TokenRequest();
  request.spec = { audiences: [], expirationSeconds: ttlSeconds };
  const issued = await core.createNamespacedServiceAccountToken({ name: sa.name, namespace: sa.namespace, body: request });
  const token = issued.status?.token;
  if (!token) throw new Error(`TokenRequest for ${sa.namespace}/${sa.name} returned no token`);
  const server = admin.getCurrentCluster()?.server;
  if (!server) throw new Error('admin kubeconfig names no server');
  const user = serviceAccountUser(sa);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'lab', context: { cluster: 'lab', user } }],
      'current-context': 'lab',
    }),
    { mode: 0o600 },
  );
}
