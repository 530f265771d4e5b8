// Self-contained kubeconfig (certs inlined) so kubectl, the webhook and tests can share one file.
const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function kubeconfigJson(server: string, caPem: string, certPem: string, keyPem: string, user = 'admin'): string {
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user } }],
      'current-context': 'e2e',
    },
    null,
    2,
  );
}
