// Field-number tables for the Kubernetes messages kubectl 1.32 sends as protobuf, taken from the
// generated.proto files of k8s.io/api and k8s.io/apimachinery v0.32. Each line is
// `<number> <jsonName> <type>[[]] [inline] [keep]`:
//   type: string | bytes | bool | int32 | int64 | map<V> | a message name from this table
//   []: repeated; inline: the message's fields are merged into the parent (Go embedded struct);
//   keep: emit even when empty (e.g. `emptyDir: {}` selects the volume type).
// Special messages decoded by hand: Time, Quantity, FieldsV1, IntOrString.

export interface FieldDef {
  name: string;
  type: string;
  repeated: boolean;
  inline: boolean;
  keep: boolean;
}

const SRC: Record<string, string[]> = {
  // apimachinery meta/v1
  ObjectMeta: [
    '1 name string',
    '2 generateName string',
    '3 namespace string',
    '4 selfLink string',
    '5 uid string',
    '6 resourceVersion string',
    '7 generation int64',
    '8 creationTimestamp Time',
    '9 deletionTimestamp Time',
    '10 deletionGracePeriodSeconds int64',
    '11 labels map<string>',
    '12 annotations map<string>',
    '13 ownerReferences OwnerReference[]',
    '14 finalizers string[]',
    '17 managedFields ManagedFieldsEntry[]',
  ],
  OwnerReference: [
    '1 kind string',
    '3 name string',
    '4 uid string',
    '5 apiVersion string',
    '6 controller bool',
    '7 blockOwnerDeletion bool',
  ],
  ManagedFieldsEntry: [
    '1 manager string',
    '2 operation string',
    '3 apiVersion string',
    '4 time Time',
    '6 fieldsType string',
    '7 fieldsV1 FieldsV1',
    '8 subresource string',
  ],
  LabelSelector: ['1 matchLabels map<string>', '2 matchExpressions LabelSelectorRequirement[]'],
  LabelSelectorRequirement: ['1 key string', '2 operator string', '3 values string[]'],

  // core/v1
  Namespace: ['1 metadata ObjectMeta', '2 spec NamespaceSpec', '3 status NamespaceStatus'],
  NamespaceSpec: ['1 finalizers string[]'],
  NamespaceStatus: ['1 phase string', '2 conditions NamespaceCondition[]'],
  NamespaceCondition: [
    '1 type string',
    '2 status string',
    '4 lastTransitionTime Time',
    '5 reason string',
    '6 message string',
  ],
  ResourceQuota: ['1 metadata ObjectMeta', '2 spec ResourceQuotaSpec', '3 status ResourceQuotaStatus'],
  ResourceQuotaSpec: ['1 hard map<Quantity>', '2 scopes string[]', '3 scopeSelector ScopeSelector'],
  ScopeSelector: ['1 matchExpressions ScopedResourceSelectorRequirement[]'],
  ScopedResourceSelectorRequirement: ['1 scopeName string', '2 operator string', '3 values string[]'],
  ResourceQuotaStatus: ['1 hard map<Quantity>', '2 used map<Quantity>'],
  LimitRange: ['1 metadata ObjectMeta', '2 spec LimitRangeSpec'],
  LimitRangeSpec: ['1 limits LimitRangeItem[]'],
  LimitRangeItem: [
    '1 type string',
    '2 max map<Quantity>',
    '3 min map<Quantity>',
    '4 default map<Quantity>',
    '5 defaultRequest map<Quantity>',
    '6 maxLimitRequestRatio map<Quantity>',
  ],
  ConfigMap: ['1 metadata ObjectMeta', '2 data map<string>', '3 binaryData map<bytes>', '4 immutable bool'],
  Secret: [
    '1 metadata ObjectMeta',
    '2 data map<bytes>',
    '3 type string',
    '4 stringData map<string>',
    '5 immutable bool',
  ],
  ServiceAccount: [
    '1 metadata ObjectMeta',
    '2 secrets ObjectReference[]',
    '3 imagePullSecrets LocalObjectReference[]',
    '4 automountServiceAccountToken bool',
  ],
  ObjectReference: [
    '1 kind string',
    '2 namespace string',
    '3 name string',
    '4 uid string',
    '5 apiVersion string',
    '6 resourceVersion string',
    '7 fieldPath string',
  ],
  LocalObjectReference: ['1 name string'],
  // Pod basics: enough for simple pods; other fields are skipped (see README in index.ts).
  Pod: ['1 metadata ObjectMeta', '2 spec PodSpec', '3 status PodStatus'],
  PodSpec: [
    '1 volumes Volume[]',
    '2 containers Container[]',
    '3 restartPolicy string',
    '4 terminationGracePeriodSeconds int64',
    '5 activeDeadlineSeconds int64',
    '6 dnsPolicy string',
    '7 nodeSelector map<string>',
    '8 serviceAccountName string',
    '9 serviceAccount string',
    '10 nodeName string',
    '11 hostNetwork bool',
    '12 hostPID bool',
    '13 hostIPC bool',
    '15 imagePullSecrets LocalObjectReference[]',
    '16 hostname string',
    '17 subdomain string',
    '19 schedulerName string',
    '20 initContainers Container[]',
    '21 automountServiceAccountToken bool',
    '22 tolerations Toleration[]',
  ],
  PodStatus: ['1 phase string'],
  Container: [
    '1 name string',
    '2 image string',
    '3 command string[]',
    '4 args string[]',
    '5 workingDir string',
    '6 ports ContainerPort[]',
    '7 env EnvVar[]',
    '8 resources ResourceRequirements',
    '9 volumeMounts VolumeMount[]',
    '13 terminationMessagePath string',
    '14 imagePullPolicy string',
    '16 stdin bool',
    '17 stdinOnce bool',
    '18 tty bool',
    '20 terminationMessagePolicy string',
  ],
  ContainerPort: [
    '1 name string',
    '2 hostPort int32',
    '3 containerPort int32',
    '4 protocol string',
    '5 hostIP string',
  ],
  EnvVar: ['1 name string', '2 value string'],
  ResourceRequirements: ['1 limits map<Quantity>', '2 requests map<Quantity>'],
  VolumeMount: ['1 name string', '2 readOnly bool', '3 mountPath string', '4 subPath string'],
  Volume: ['1 name string', '2 volumeSource VolumeSource inline'],
  VolumeSource: [
    '1 hostPath HostPathVolumeSource keep',
    '2 emptyDir EmptyDirVolumeSource keep',
    '6 secret SecretVolumeSource keep',
    '19 configMap ConfigMapVolumeSource keep',
  ],
  HostPathVolumeSource: ['1 path string', '2 type string'],
  EmptyDirVolumeSource: ['1 medium string', '2 sizeLimit Quantity'],
  SecretVolumeSource: ['1 secretName string', '3 defaultMode int32', '4 optional bool'],
  ConfigMapVolumeSource: [
    '1 localObjectReference LocalObjectReference inline',
    '3 defaultMode int32',
    '4 optional bool',
  ],
  Toleration: [
    '1 key string',
    '2 operator string',
    '3 value string',
    '4 effect string',
    '5 tolerationSeconds int64',
  ],

  // rbac.authorization.k8s.io/v1
  Role: ['1 metadata ObjectMeta', '2 rules PolicyRule[]'],
  ClusterRole: ['1 metadata ObjectMeta', '2 rules PolicyRule[]', '3 aggregationRule AggregationRule'],
  AggregationRule: ['1 clusterRoleSelectors LabelSelector[]'],
  PolicyRule: [
    '1 verbs string[]',
    '2 apiGroups string[]',
    '3 resources string[]',
    '4 resourceNames string[]',
    '5 nonResourceURLs string[]',
  ],
  RoleBinding: ['1 metadata ObjectMeta', '2 subjects Subject[]', '3 roleRef RoleRef'],
  ClusterRoleBinding: ['1 metadata ObjectMeta', '2 subjects Subject[]', '3 roleRef RoleRef'],
  Subject: ['1 kind string', '2 apiGroup string', '3 name string', '4 namespace string'],
  RoleRef: ['1 apiGroup string', '2 kind string', '3 name string'],

  // authorization.k8s.io/v1
  SelfSubjectAccessReview: [
    '1 metadata ObjectMeta',
    '2 spec SelfSubjectAccessReviewSpec',
    '3 status SubjectAccessReviewStatus',
  ],
  SelfSubjectAccessReviewSpec: [
    '1 resourceAttributes ResourceAttributes',
    '2 nonResourceAttributes NonResourceAttributes',
  ],
  SubjectAccessReview: [
    '1 metadata ObjectMeta',
    '2 spec SubjectAccessReviewSpec',
    '3 status SubjectAccessReviewStatus',
  ],
  SubjectAccessReviewSpec: [
    '1 resourceAttributes ResourceAttributes',
    '2 nonResourceAttributes NonResourceAttributes',
    '3 user string',
    '4 groups string[]',
    '5 extra map<ExtraValue>',
    '6 uid string',
  ],
  ResourceAttributes: [
    '1 namespace string',
    '2 verb string',
    '3 group string',
    '4 version string',
    '5 resource string',
    '6 subresource string',
    '7 name string',
    '8 fieldSelector FieldSelectorAttributes',
    '9 labelSelector LabelSelectorAttributes',
  ],
  FieldSelectorAttributes: ['1 rawSelector string', '2 requirements FieldSelectorRequirement[]'],
  FieldSelectorRequirement: ['1 key string', '2 operator string', '3 values string[]'],
  LabelSelectorAttributes: ['1 rawSelector string', '2 requirements LabelSelectorRequirement[]'],
  NonResourceAttributes: ['1 path string', '2 verb string'],
  SubjectAccessReviewStatus: [
    '1 allowed bool',
    '2 reason string',
    '3 evaluationError string',
    '4 denied bool',
  ],
  SelfSubjectRulesReview: [
    '1 metadata ObjectMeta',
    '2 spec SelfSubjectRulesReviewSpec',
    '3 status SubjectRulesReviewStatus',
  ],
  SelfSubjectRulesReviewSpec: ['1 namespace string'],
  SubjectRulesReviewStatus: [
    '1 resourceRules ResourceRule[]',
    '2 nonResourceRules NonResourceRule[]',
    '3 incomplete bool',
    '4 evaluationError string',
  ],
  ResourceRule: [
    '1 verbs string[]',
    '2 apiGroups string[]',
    '3 resources string[]',
    '4 resourceNames string[]',
  ],
  NonResourceRule: ['1 verbs string[]', '2 nonResourceURLs string[]'],

  // authentication.k8s.io/v1
  SelfSubjectReview: ['1 metadata ObjectMeta', '2 status SelfSubjectReviewStatus'],
  SelfSubjectReviewStatus: ['1 userInfo UserInfo'],
  UserInfo: ['1 username string', '2 uid string', '3 groups string[]', '4 extra map<ExtraValue>'],
};

function compile(src: Record<string, string[]>): Map<string, Map<number, FieldDef>> {
  const out = new Map<string, Map<number, FieldDef>>();
  for (const [msg, lines] of Object.entries(src)) {
    const fields = new Map<number, FieldDef>();
    for (const line of lines) {
      const [num, name, rawType, ...flags] = line.split(' ');
      const repeated = rawType!.endsWith('[]');
      fields.set(Number(num), {
        name: name!,
        type: repeated ? rawType!.slice(0, -2) : rawType!,
        repeated,
        inline: flags.includes('inline'),
        keep: flags.includes('keep'),
      });
    }
    out.set(msg, fields);
  }
  return out;
}

export const MESSAGES = compile(SRC);

/** Top-level kinds accepted as protobuf bodies: `group/Kind` (core group is empty) → message. */
export const KINDS: ReadonlyMap<string, string> = new Map([
  ['/Namespace', 'Namespace'],
  ['/ResourceQuota', 'ResourceQuota'],
  ['/LimitRange', 'LimitRange'],
  ['/ConfigMap', 'ConfigMap'],
  ['/Secret', 'Secret'],
  ['/ServiceAccount', 'ServiceAccount'],
  ['/Pod', 'Pod'],
  ['rbac.authorization.k8s.io/Role', 'Role'],
  ['rbac.authorization.k8s.io/ClusterRole', 'ClusterRole'],
  ['rbac.authorization.k8s.io/RoleBinding', 'RoleBinding'],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', 'ClusterRoleBinding'],
  ['authorization.k8s.io/SelfSubjectAccessReview', 'SelfSubjectAccessReview'],
  ['authorization.k8s.io/SelfSubjectRulesReview', 'SelfSubjectRulesReview'],
  ['authorization.k8s.io/SubjectAccessReview', 'SubjectAccessReview'],
  ['authorization.k8s.io/LocalSubjectAccessReview', 'SubjectAccessReview'],
  ['authentication.k8s.io/SelfSubjectReview', 'SelfSubjectReview'],
]);
