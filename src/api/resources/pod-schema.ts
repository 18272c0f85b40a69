// Known fields of core/v1 Pod (spec and status), for strict decoding and OpenAPI. Rarely used
// subtrees (affinity, security contexts' inner options, volume sources beyond the common ones)
// are 'any' so that valid manifests are never rejected.
import { arr, map, obj, type Schema } from './schema.js';

const keyRef = obj({ name: 'string', key: 'string', optional: 'boolean' });
const envVar = obj({
  name: 'string',
  value: 'string',
  valueFrom: obj({
    fieldRef: obj({ apiVersion: 'string', fieldPath: 'string' }),
    resourceFieldRef: obj({ containerName: 'string', resource: 'string', divisor: 'quantity' }),
    configMapKeyRef: keyRef,
    secretKeyRef: keyRef,
  }),
});
const envFrom = obj({
  prefix: 'string',
  configMapRef: obj({ name: 'string', optional: 'boolean' }),
  secretRef: obj({ name: 'string', optional: 'boolean' }),
});
const resources = obj({
  limits: map('quantity'),
  requests: map('quantity'),
  claims: arr(obj({ name: 'string', request: 'string' })),
});
const handler = obj({
  exec: obj({ command: arr('string') }),
  httpGet: obj({
    path: 'string',
    port: 'int-or-string',
    host: 'string',
    scheme: 'string',
    httpHeaders: arr(obj({ name: 'string', value: 'string' })),
  }),
  tcpSocket: obj({ port: 'int-or-string', host: 'string' }),
  grpc: obj({ port: 'integer', service: 'string' }),
  sleep: obj({ seconds: 'integer' }),
});
const probe = obj({
  exec: obj({ command: arr('string') }),
  httpGet: obj({
    path: 'string',
    port: 'int-or-string',
    host: 'string',
    scheme: 'string',
    httpHeaders: arr(obj({ name: 'string', value: 'string' })),
  }),
  tcpSocket: obj({ port: 'int-or-string', host: 'string' }),
  grpc: obj({ port: 'integer', service: 'string' }),
  initialDelaySeconds: 'integer',
  timeoutSeconds: 'integer',
  periodSeconds: 'integer',
  successThreshold: 'integer',
  failureThreshold: 'integer',
  terminationGracePeriodSeconds: 'integer',
});

export const containerSchema = obj(
  {
    name: 'string',
    image: 'string',
    command: arr('string'),
    args: arr('string'),
    workingDir: 'string',
    ports: arr(
      obj({
        name: 'string',
        hostPort: 'integer',
        containerPort: 'integer',
        protocol: 'string',
        hostIP: 'string',
      }),
    ),
    envFrom: arr(envFrom),
    env: arr(envVar),
    resources,
    resizePolicy: arr(obj({ resourceName: 'string', restartPolicy: 'string' })),
    restartPolicy: 'string',
    volumeMounts: arr(
      obj({
        name: 'string',
        readOnly: 'boolean',
        recursiveReadOnly: 'string',
        mountPath: 'string',
        subPath: 'string',
        mountPropagation: 'string',
        subPathExpr: 'string',
      }),
    ),
    volumeDevices: arr(obj({ name: 'string', devicePath: 'string' })),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: obj({ postStart: handler, preStop: handler, stopSignal: 'string' }),
    terminationMessagePath: 'string',
    terminationMessagePolicy: 'string',
    imagePullPolicy: 'string',
    securityContext: 'any',
    stdin: 'boolean',
    stdinOnce: 'boolean',
    tty: 'boolean',
    targetContainerName: 'string',
  },
  'A single application container that you want to run within a pod.',
);

const volume = obj({
  name: 'string',
  emptyDir: obj({ medium: 'string', sizeLimit: 'quantity' }),
  hostPath: obj({ path: 'string', type: 'string' }),
  configMap: obj({
    name: 'string',
    items: arr(obj({ key: 'string', path: 'string', mode: 'integer' })),
    defaultMode: 'integer',
    optional: 'boolean',
  }),
  secret: obj({
    secretName: 'string',
    items: arr(obj({ key: 'string', path: 'string', mode: 'integer' })),
    defaultMode: 'integer',
    optional: 'boolean',
  }),
  persistentVolumeClaim: obj({ claimName: 'string', readOnly: 'boolean' }),
  projected: 'any',
  downwardAPI: 'any',
  csi: 'any',
  ephemeral: 'any',
  image: obj({ reference: 'string', pullPolicy: 'string' }),
  nfs: 'any',
});

export const podSpecSchema = obj(
  {
    volumes: arr(volume),
    initContainers: arr(containerSchema),
    containers: arr(containerSchema),
    ephemeralContainers: arr(containerSchema),
    restartPolicy: 'string',
    terminationGracePeriodSeconds: 'integer',
    activeDeadlineSeconds: 'integer',
    dnsPolicy: 'string',
    nodeSelector: map('string'),
    serviceAccountName: 'string',
    serviceAccount: 'string',
    automountServiceAccountToken: 'boolean',
    nodeName: 'string',
    hostNetwork: 'boolean',
    hostPID: 'boolean',
    hostIPC: 'boolean',
    shareProcessNamespace: 'boolean',
    securityContext: 'any',
    imagePullSecrets: arr(obj({ name: 'string' })),
    hostname: 'string',
    subdomain: 'string',
    affinity: 'any',
    schedulerName: 'string',
    tolerations: arr(
      obj({
        key: 'string',
        operator: 'string',
        value: 'string',
        effect: 'string',
        tolerationSeconds: 'integer',
      }),
    ),
    hostAliases: arr(obj({ ip: 'string', hostnames: arr('string') })),
    priorityClassName: 'string',
    priority: 'integer',
    dnsConfig: 'any',
    readinessGates: arr(obj({ conditionType: 'string' })),
    runtimeClassName: 'string',
    enableServiceLinks: 'boolean',
    preemptionPolicy: 'string',
    overhead: map('quantity'),
    topologySpreadConstraints: arr('any'),
    setHostnameAsFQDN: 'boolean',
    os: obj({ name: 'string' }),
    hostUsers: 'boolean',
    schedulingGates: arr(obj({ name: 'string' })),
    resourceClaims: arr('any'),
    resources,
  },
  'PodSpec is a description of a pod.',
);

const containerState = obj({
  waiting: obj({ reason: 'string', message: 'string' }),
  running: obj({ startedAt: 'time' }),
  terminated: obj({
    exitCode: 'integer',
    signal: 'integer',
    reason: 'string',
    message: 'string',
    startedAt: 'time',
    finishedAt: 'time',
    containerID: 'string',
  }),
});
const containerStatus = obj({
  name: 'string',
  state: containerState,
  lastState: containerState,
  ready: 'boolean',
  restartCount: 'integer',
  image: 'string',
  imageID: 'string',
  containerID: 'string',
  started: 'boolean',
  allocatedResources: map('quantity'),
  resources: 'any',
  volumeMounts: arr('any'),
  user: 'any',
  allocatedResourcesStatus: arr('any'),
  stopSignal: 'string',
});

export const podStatusSchema = obj(
  {
    observedGeneration: 'integer',
    phase: 'string',
    conditions: arr(
      obj({
        type: 'string',
        observedGeneration: 'integer',
        status: 'string',
        lastProbeTime: 'time',
        lastTransitionTime: 'time',
        reason: 'string',
        message: 'string',
      }),
    ),
    message: 'string',
    reason: 'string',
    nominatedNodeName: 'string',
    hostIP: 'string',
    hostIPs: arr(obj({ ip: 'string' })),
    podIP: 'string',
    podIPs: arr(obj({ ip: 'string' })),
    startTime: 'time',
    initContainerStatuses: arr(containerStatus),
    containerStatuses: arr(containerStatus),
    qosClass: 'string',
    ephemeralContainerStatuses: arr(containerStatus),
    resize: 'string',
    resourceClaimStatuses: arr('any'),
  },
  'PodStatus represents information about the status of a pod.',
);

export const podSchema: Record<string, Schema> = { spec: podSpecSchema, status: podStatusSchema };
