{{/* The release's full name, used for every object. */}}
{{- define "carbon-kube.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "carbon-kube.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "carbon-kube.labels" -}}
{{ include "carbon-kube.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: carbon-kube
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "carbon-kube.tlsSecretName" -}}
{{- printf "%s-tls" (include "carbon-kube.fullname" .) -}}
{{- end -}}

{{/* The Secret whose files hold the API keys; always mounted optional. */}}
{{- define "carbon-kube.apiKeysSecretName" -}}
{{- if .Values.apiKeys.existingSecret -}}
{{- .Values.apiKeys.existingSecret -}}
{{- else if .Values.apiKeys.create -}}
{{- printf "%s-api-keys" (include "carbon-kube.fullname" .) -}}
{{- else -}}
carbon-kube-api-keys
{{- end -}}
{{- end -}}

{{- define "carbon-kube.priorityClassName" -}}
{{- if .Values.priorityClass.create -}}
{{- default (include "carbon-kube.fullname" .) .Values.priorityClass.name -}}
{{- else -}}
{{- .Values.priorityClass.name -}}
{{- end -}}
{{- end -}}

{{- define "carbon-kube.servingCertificateName" -}}
{{- printf "%s-serving" (include "carbon-kube.fullname" .) -}}
{{- end -}}

{{/* Names the apiserver may use for the Service. */}}
{{- define "carbon-kube.serviceDnsNames" -}}
{{- $svc := include "carbon-kube.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{/* Namespaces never sent to the webhooks: kube-system, ours, and the operator's list. */}}
{{- define "carbon-kube.excludedNamespaces" -}}
{{- concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces | uniq | toJson -}}
{{- end -}}

{{/* "a=X,b=Y" from a map, sorted so the rendered ConfigMap is stable. */}}
{{- define "carbon-kube.pairs" -}}
{{- $out := list -}}
{{- range $k := keys . | sortAlpha -}}
{{- $out = append $out (printf "%s=%s" $k (index $ $k)) -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}
