// Zonal storage for a lab cluster: StorageClass `lab-zonal` (no provisioner, bound when the first
// consumer is scheduled) and pre-created local PersistentVolumes pinned to each zone, so the
// scheduler's volume binding and the PV controller bind a StatefulSet's claims in its pod's zone.
import { CoreV1Api, StorageV1Api, type KubeConfig, type V1PersistentVolume } from '@kubernetes/client-node';
import type { LabZone } from './labNodes';
import { mapLimit } from './labNodes';
import { REGION_LABEL, ZONE_LABEL } from './nodes';

export const LAB_STORAGE_CLASS = 'lab-zonal';

export function labPersistentVolume(z: LabZone, i: number, size: string): V1PersistentVolume {
  const name = `lab-pv-${z.zone}-${i}`;
  return {
    metadata: { name, labels: { [ZONE_LABEL]: z.zone, [REGION_LABEL]: z.region } },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain', // no provisioner could delete it
      storageClassName: LAB_STORAGE_CLASS,
      volumeMode: 'Filesystem',
      local: { path: `/mnt/lab/${z.zone}/${name}` },
      // Any node of the zone can reach it (a zonal disk), not only one host.
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [z.zone] }] }] } },
    },
  };
}

/** Creates the StorageClass and `perZone` PersistentVolumes of `size` in every zone. */
export async function createZonalStorage(kc: KubeConfig, zones: LabZone[], perZone: number, size = '10Gi'): Promise<void> {
  await kc.makeApiClient(StorageV1Api).createStorageClass({
    body: {
      metadata: { name: LAB_STORAGE_CLASS },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    },
  });
  const core = kc.makeApiClient(CoreV1Api);
  const pvs = zones.flatMap((z) => Array.from({ length: perZone }, (_, i) => labPersistentVolume(z, i, size)));
  await mapLimit(pvs, 16, (body) => core.createPersistentVolume({ body }));
}
