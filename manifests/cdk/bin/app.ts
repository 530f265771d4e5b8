// The carbon-kube EKS lab. Synthesises offline (no credentials, no lookups):
//   CDK_OUTDIR=/tmp/cdk.out npx tsx manifests/cdk/bin/app.ts
// Deploy (from manifests/cdk): npx cdk deploy -c account=123456789012 -c region=eu-central-1
// Context (-c name=value, or cdk.json): account, region, grids ("a=FR,b=PL": zone suffix = grid),
// instanceType, imageRepository, imageTag, chartRepository, chartVersion, adminRoleArn.
import { App } from 'aws-cdk-lib';
import { fileURLToPath } from 'node:url';
import { CarbonKubeLabStack, type GridNodeGroup } from '../lib/labStack.js';

const app = new App();
const ctx = (name: string, fallback?: string): string | undefined => (app.node.tryGetContext(name) as string | undefined) ?? fallback;

/** "a=FR,b=PL" -> availability-zone suffix and grid of each node group. */
function parseGrids(raw: string): GridNodeGroup[] {
  return raw.split(',').map((pair) => {
    const [zoneSuffix, grid] = pair.split('=').map((s) => s.trim());
    if (!zoneSuffix || !grid) throw new Error(`grids entry "${pair}" must look like "a=FR"`);
    return { zoneSuffix, grid };
  });
}

const imageRepository = ctx('imageRepository');
const chartRepository = ctx('chartRepository');
const chartVersion = ctx('chartVersion');
const adminRoleArn = ctx('adminRoleArn');
new CarbonKubeLabStack(app, 'CarbonKubeLab', {
  // Example account and region unless given in context: synthesis never asks AWS for them.
  env: { account: ctx('account', '111111111111'), region: ctx('region', 'eu-central-1') },
  description: 'carbon-kube lab: EKS with node groups on two grids and the carbon-kube Helm release',
  // Frankfurt's own grid is DE; the labels pretend zone a is on France's (low-carbon) grid and
  // zone b on Poland's (coal-heavy) one, so the webhook has a clear choice to make.
  gridNodeGroups: parseGrids(ctx('grids', 'a=FR,b=PL')!),
  instanceType: ctx('instanceType', 't3.large')!,
  image: { ...(imageRepository ? { repository: imageRepository } : {}), tag: ctx('imageTag', '0.1.0')! },
  chart: {
    directory: fileURLToPath(new URL('../../helm/carbon-kube', import.meta.url)),
    ...(chartRepository ? { repository: chartRepository } : {}),
    ...(chartVersion ? { version: chartVersion } : {}),
  },
  ...(adminRoleArn ? { adminRoleArn } : {}),
});
app.synth();
