// The tuner's model in a ConfigMap (carbon-kube-tuner in our namespace): small, readable with
// kubectl, and restored by whichever replica leads next.
import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { MODEL_KEY, parseModel, serializeModel, type ModelStore, type SavedModel } from './modelStore.js';

export const TUNER_CONFIGMAP = 'carbon-kube-tuner';

export function configMapModelStore(kubeConfig: KubeConfig, namespace: string, name = TUNER_CONFIGMAP): ModelStore {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const body = (model: SavedModel): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'carbon-kube', 'app.kubernetes.io/component': 'tuner' } },
    data: { [MODEL_KEY]: serializeModel(model) },
  });
  return {
    async load(): Promise<SavedModel | undefined> {
      let cm: V1ConfigMap;
      try {
        cm = await api.readNamespacedConfigMap({ name, namespace });
      } catch (err) {
        if (isStatus(err, 404)) return undefined;
        throw err;
      }
      const text = cm.data?.[MODEL_KEY];
      return text === undefined ? undefined : parseModel(text);
    },
    async save(model: SavedModel): Promise<void> {
      // Only the leader writes, so an unconditional replace is enough; create it the first time.
      try {
        await api.replaceNamespacedConfigMap({ name, namespace, body: body(model) });
        return;
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
      }
      try {
        await api.createNamespacedConfigMap({ namespace, body: body(model) });
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        await api.replaceNamespacedConfigMap({ name, namespace, body: body(model) });
      }
    },
  };
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}
