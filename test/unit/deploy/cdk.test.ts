// The EKS lab (manifests/cdk) synthesised offline and read back with aws-cdk-lib/assertions.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { expect } from 'chai';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CarbonKubeLabStack, GRID_ZONE_LABEL, labValues, NAMESPACE, type CarbonKubeLabProps } from '../../../manifests/cdk/lib/labStack.js';

const chartDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../manifests/helm/carbon-kube');

function synth(overrides: Partial<CarbonKubeLabProps> = {}): { app: App; stack: CarbonKubeLabStack; template: Template } {
  // Staging copies the kubectl layer and handler bundles (tens of MB); the template is what we test.
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new CarbonKubeLabStack(app, 'Lab', {
    env: { account: '111111111111', region: 'eu-central-1' },
    gridNodeGroups: [
      { zoneSuffix: 'a', grid: 'FR' },
      { zoneSuffix: 'b', grid: 'PL' },
    ],
    chart: { directory: chartDir },
    image: { repository: 'registry.example.com/carbon-kube', tag: '0.1.0' },
    instanceType: 't3.large',
    ...overrides,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

describe('deploy: CDK EKS lab', function () {
  this.timeout(60_000);
  let lab: ReturnType<typeof synth>;
  // The other choices: chart from a repository, image from the stack's ECR repository, an admin role.
  let variant: ReturnType<typeof synth>;
  before(function () {
    lab = synth();
    variant = synth({
      chart: { directory: chartDir, repository: 'https://charts.example.com', version: '0.1.0' },
      image: { tag: '0.2.0' },
      adminRoleArn: 'arn:aws:iam::111111111111:role/platform-admin',
    });
  });

  it('synthesises without asking AWS anything (no context lookups)', function () {
    expect(lab.app.synth().manifest.missing ?? []).to.deep.equal([]);
  });

  it('creates an EKS cluster at Kubernetes 1.33 with API authentication', function () {
    lab.template.resourceCountIs('Custom::AWSCDK-EKS-Cluster', 1);
    lab.template.hasResourceProperties('Custom::AWSCDK-EKS-Cluster', {
      Config: Match.objectLike({ version: '1.33', accessConfig: { authenticationMode: 'API' } }),
    });
  });

  it('has one node group per grid, labelled with its grid, each in its own availability zone', function () {
    const groups = lab.template.findResources('AWS::EKS::Nodegroup');
    const byGrid: Record<string, any> = Object.fromEntries(Object.values(groups).map((g: any) => [g.Properties.Labels[GRID_ZONE_LABEL], g.Properties]));
    expect(Object.keys(byGrid).sort()).to.deep.equal(['FR', 'PL']);
    const subnets = lab.template.findResources('AWS::EC2::Subnet');
    const zoneOf = (props: any): string[] => props.Subnets.map((s: any) => subnets[s.Ref]!.Properties.AvailabilityZone);
    expect(zoneOf(byGrid.FR)).to.deep.equal(['eu-central-1a']);
    expect(zoneOf(byGrid.PL)).to.deep.equal(['eu-central-1b']);
    for (const props of Object.values(byGrid)) {
      expect(props.InstanceTypes).to.deep.equal(['t3.large']);
      expect(props.AmiType).to.equal('AL2023_x86_64_STANDARD');
    }
  });

  it('gives the nodes a worker role with the EKS, CNI, ECR-read and SSM policies', function () {
    const groups = Object.values(lab.template.findResources('AWS::EKS::Nodegroup')) as any[];
    const roleIds = new Set(groups.map((g) => g.Properties.NodeRole['Fn::GetAtt'][0]));
    expect(roleIds.size).to.equal(1);
    const role = lab.template.findResources('AWS::IAM::Role')[[...roleIds][0]] as any;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).to.deep.equal({ Service: 'ec2.amazonaws.com' });
    const policies = JSON.stringify(role.Properties.ManagedPolicyArns);
    for (const p of ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonSSMManagedInstanceCore']) {
      expect(policies).to.include(`policy/${p}`);
    }
  });

  it('installs our chart from its local directory, with the lab values, into a restricted namespace', function () {
    const charts = Object.values(lab.template.findResources('Custom::AWSCDK-EKS-HelmChart')) as any[];
    expect(charts).to.have.length(1);
    const chart = charts[0].Properties;
    expect(chart).to.include({ Release: 'carbon-kube', Namespace: NAMESPACE });
    expect(chart.Wait ?? false, 'pods may wait for the image push').to.equal(false);
    expect(chart.ChartAssetURL).to.match(/^s3:\/\/.*\.zip$/);
    expect(JSON.parse(chart.Values)).to.deep.equal(labValues('registry.example.com/carbon-kube', '0.1.0'));
    expect(JSON.parse(chart.Values).migrator).to.deep.equal({ enabled: true, dryRun: true });
    const manifests = (Object.values(lab.template.findResources('Custom::AWSCDK-EKS-KubernetesResource')) as any[]).map((r) => JSON.parse(r.Properties.Manifest)[0]);
    const ours = manifests.find((m) => m.metadata.name === NAMESPACE);
    expect(ours.metadata.labels).to.include({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const demo = manifests.find((m) => m.metadata.labels?.['carbon-kube.io/enabled'] === 'true');
    expect(demo?.kind).to.equal('Namespace');
  });

  it('can take the chart from a repository instead, and the image from the stack\'s own ECR repository', function () {
    const { template } = variant;
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Repository: 'https://charts.example.com',
      Chart: 'carbon-kube',
      Version: '0.1.0',
      ChartAssetURL: Match.absent(),
    });
    const chart = (Object.values(template.findResources('Custom::AWSCDK-EKS-HelmChart'))[0] as any).Properties;
    const values = JSON.stringify(chart.Values);
    expect(values).to.include('Repository22E53BBD');
    expect(values).to.include('\\"tag\\":\\"0.2.0\\"');
    template.hasResourceProperties('AWS::ECR::Repository', { RepositoryName: 'carbon-kube', ImageScanningConfiguration: { ScanOnPush: true } });
  });

  it('grants cluster-admin to a named role only when one is given', function () {
    lab.template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    const entries = Object.values(variant.template.findResources('AWS::EKS::AccessEntry')) as any[];
    expect(entries).to.have.length(1);
    const entry = entries[0].Properties;
    expect(entry.PrincipalArn).to.equal('arn:aws:iam::111111111111:role/platform-admin');
    expect(entry.AccessPolicies).to.have.length(1);
    expect(entry.AccessPolicies[0].AccessScope).to.deep.equal({ Type: 'cluster' });
    expect(JSON.stringify(entry.AccessPolicies[0].PolicyArn)).to.include(':cluster-access-policy/AmazonEKSClusterAdminPolicy');
  });
});
