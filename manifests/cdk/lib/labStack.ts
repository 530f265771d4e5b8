// An EKS lab for carbon-kube: one cluster, one node group per "grid", the Helm release of our chart.
//
// Why one cluster in one region: an EKS cluster (its control plane and VPC) lives in one region,
// and node groups in other regions would need a second cluster and cross-region networking. The
// webhook only sees zones (topology.kubernetes.io/zone) and each zone's grid, which the node label
// carbon-kube.io/grid-zone sets; it wins over the region mapping. So two node groups in two
// availability zones, labelled as if they sat on two different grids (a clean one and a dirty one
// by default), exercise exactly the code path of a multi-region fleet, in one cheap stack.
import { CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { KubectlV33Layer } from '@aws-cdk/lambda-layer-kubectl-v33';
import type { Construct } from 'constructs';

export const GRID_ZONE_LABEL = 'carbon-kube.io/grid-zone';
/** Must match the kubectl layer (v33). */
export const KUBERNETES_VERSION = eks.KubernetesVersion.V1_33;

export interface GridNodeGroup {
  /** Availability-zone suffix in the stack's region, e.g. "a". */
  zoneSuffix: string;
  /** Electricity Maps grid zone the nodes are labelled with, e.g. "FR". */
  grid: string;
}

export interface ChartSource {
  /** A chart repository URL; unset: the chart directory of this repository, shipped as an asset. */
  repository?: string;
  version?: string;
  /** Local chart directory, used when no repository is given. */
  directory: string;
}

export interface CarbonKubeLabProps extends StackProps {
  gridNodeGroups: GridNodeGroup[];
  chart: ChartSource;
  /** The carbon-kube image; unset repository: the ECR repository this stack creates. */
  image: { repository?: string; tag: string };
  instanceType: string;
  /** An IAM role ARN given cluster-admin through an EKS access entry (e.g. your SSO role). */
  adminRoleArn?: string;
}

export const NAMESPACE = 'carbon-kube';
/** A namespace opted in, for trying the webhook out. */
export const DEMO_NAMESPACE = 'carbon-demo';

export class CarbonKubeLabStack extends Stack {
  readonly cluster: eks.Cluster;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: CarbonKubeLabProps) {
    super(scope, id, props);
    const zones = props.gridNodeGroups.map((g) => `${this.region}${g.zoneSuffix}`);
    this.zones = zones;
    // The node groups are tied to these zones on purpose (one grid label per zone).
    Validations.of(this).acknowledge({ id: 'CloudFormation-Validate::W3010', reason: 'each grid node group is pinned to its own availability zone' });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: zones,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: 'carbon-kube-lab',
      version: KUBERNETES_VERSION,
      kubectlLayer: new KubectlV33Layer(this, 'KubectlLayer'),
      vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      defaultCapacity: 0,
      authenticationMode: eks.AuthenticationMode.API,
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE,
      clusterLogging: [eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.AUDIT],
    });
    if (props.adminRoleArn) {
      this.cluster.grantAccess('Admin', props.adminRoleArn, [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
      ]);
    }

    this.addGridNodeGroups(props, zones);
    const repository = new ecr.Repository(this, 'Repository', {
      repositoryName: 'carbon-kube',
      imageScanOnPush: true,
      removalPolicy: RemovalPolicy.DESTROY,
      emptyOnDelete: true,
    });
    this.addCarbonKube(props, props.image.repository ?? repository.repositoryUri);

    new CfnOutput(this, 'ImageRepository', { value: repository.repositoryUri, description: 'docker push the carbon-kube image here' });
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
  }

  /**
   * Our zones, named explicitly: the default asks AWS at synth time (a context lookup needing
   * credentials), and we want to know which subnet is which.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }

  /** One managed node group per grid, each in its own zone's private subnet. */
  private addGridNodeGroups(props: CarbonKubeLabProps, zones: string[]): void {
    // The worker role: join the cluster, run the VPC CNI, pull from ECR, be reachable by SSM.
    // carbon-kube itself calls no AWS API, so it needs no IRSA or pod-identity role.
    const nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonSSMManagedInstanceCore'].map((name) =>
        iam.ManagedPolicy.fromAwsManagedPolicyName(name),
      ),
    });
    props.gridNodeGroups.forEach((group, i) => {
      this.cluster.addNodegroupCapacity(`Grid${i}`, {
        nodegroupName: `grid-${group.grid.toLowerCase()}`,
        nodeRole,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [zones[i]!] },
        labels: { [GRID_ZONE_LABEL]: group.grid },
        instanceTypes: [new ec2.InstanceType(props.instanceType)],
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        capacityType: eks.CapacityType.ON_DEMAND,
        minSize: 1,
        desiredSize: 2,
        maxSize: 4,
      });
    });
  }

  /** Our namespace (Pod Security restricted), the Helm release, and an opted-in demo namespace. */
  private addCarbonKube(props: CarbonKubeLabProps, imageRepository: string): void {
    const namespace = this.cluster.addManifest('Namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: NAMESPACE,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    });
    const source = props.chart.repository
      ? { repository: props.chart.repository, chart: 'carbon-kube', ...(props.chart.version ? { version: props.chart.version } : {}) }
      : { chartAsset: new Asset(this, 'ChartAsset', { path: props.chart.directory }) };
    const release = this.cluster.addHelmChart('CarbonKube', {
      ...source,
      release: 'carbon-kube',
      namespace: NAMESPACE,
      createNamespace: false,
      // Pods wait for the image to be pushed; the webhooks fail open meanwhile.
      wait: false,
      values: labValues(imageRepository, props.image.tag),
    });
    release.node.addDependency(namespace);
    this.cluster.addManifest('DemoNamespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: DEMO_NAMESPACE, labels: { 'carbon-kube.io/enabled': 'true' } },
    });
  }
}

/** Chart values for the lab: the node labels name the grids, the migrator looks but never evicts. */
export function labValues(imageRepository: string, tag: string): Record<string, unknown> {
  return {
    image: { repository: imageRepository, tag },
    replicaCount: 2,
    placement: { strategy: 'exponential', carbonWeight: 80, threshold: 300, defaultMode: 'prefer' },
    tuner: { mode: 'recommend' },
    migrator: { enabled: true, dryRun: true },
    tainter: { enabled: false },
    certificates: { mode: 'self-signed' },
    // No Prometheus Operator in the lab; turn these on if you install one.
    serviceMonitor: { enabled: false },
    prometheusRule: { enabled: false },
  };
}
