// Validation: refuse carbon-kube.io values that would be silently misread.
import { checkCarbonKeys, type KeyProblem } from '../annotations/validate.js';
import { ENABLED_LABEL, GRID_ZONE_LABEL, NAMESPACE_ANNOTATIONS, POD_ANNOTATIONS } from '../annotations/keys.js';
import { isRecord, type AdmissionRequest, type AdmissionVerdict } from './review.js';

type StringMap = Record<string, string> | undefined;

interface KeyPlaces {
  annotations?: readonly string[];
  labels?: readonly string[];
}

/** Where users may put which carbon-kube.io keys, per kind. */
const PLACES: Readonly<Record<string, KeyPlaces>> = {
  Pod: { annotations: POD_ANNOTATIONS },
  Namespace: { annotations: NAMESPACE_ANNOTATIONS, labels: [ENABLED_LABEL] },
  Node: { labels: [GRID_ZONE_LABEL] },
};

export function validateObject(req: AdmissionRequest): AdmissionVerdict {
  const places = (req.kind.group ?? '') === '' ? PLACES[req.kind.kind] : undefined;
  if (!places || (req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !req.object) return { allowed: true };
  const problems = [
    ...changedProblems(req, 'annotations', places.annotations),
    ...changedProblems(req, 'labels', places.labels),
  ];
  if (problems.length === 0) return { allowed: true };
  return {
    allowed: false,
    status: { code: 422, reason: 'Invalid', message: problems.map((p) => p.message).join('; ') },
  };
}

/**
 * On UPDATE only keys that are new or changed are judged, so an object that predates carbon-kube
 * is never locked against unrelated edits.
 */
function changedProblems(req: AdmissionRequest, field: 'annotations' | 'labels', known: readonly string[] | undefined): KeyProblem[] {
  if (!known) return [];
  const now = metadataMap(req.object, field);
  const before = req.operation === 'UPDATE' ? metadataMap(req.oldObject, field) : undefined;
  const changed = Object.fromEntries(Object.entries(now ?? {}).filter(([k, v]) => before?.[k] !== v));
  return checkCarbonKeys(changed, known, field === 'labels' ? 'label' : 'annotation');
}

function metadataMap(obj: unknown, field: 'annotations' | 'labels'): StringMap {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const map = obj.metadata[field];
  return isRecord(map) ? (map as Record<string, string>) : undefined;
}
