// Decoding of `application/vnd.kubernetes.protobuf` request bodies (kubectl 1.32 typed clients).
// Covered: Namespace, ResourceQuota, LimitRange, ConfigMap, Secret, ServiceAccount, Role,
// ClusterRole, RoleBinding, ClusterRoleBinding, SelfSubjectAccessReview, SelfSubjectRulesReview,
// SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectReview, and Pod basics (containers
// with image/command/args/ports/env values/resources/volumeMounts, hostPath/emptyDir/secret/
// configMap volumes, tolerations). Fields not in schema.ts are skipped silently.
export { decodeK8sProtobuf, isK8sProtobuf, supportedProtobufKinds, K8S_PROTOBUF } from './envelope.js';
export { ProtobufError } from './wire.js';
