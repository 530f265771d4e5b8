// Fault: the webhook process is SIGKILLed while pods are being created through the real apiserver.
// No create may fail or be held until a webhook is back, no pod may be lost, every pod must still
// be scheduled, and a new process steers again. Creates are judged by the phase they were sent and
// answered in (webhook up, gone, back), which the test sets as it acts; latencies are printed only.
import { expect } from 'chai';
import { WebhookCounters } from '../webhook/apiserverAdmission.js';
import { MUTATING_WEBHOOK } from '../webhook/webhookConfigs.js';
import { useWebhookCluster } from '../webhook/webhookCluster.js';
import { expectAllKeptAndBound, latencySummary, PodLoad, type CreateOutcome } from './podLoad.js';

const NS = 'chaos-kill';
const TIMEOUT_S = 2;
/** Creates wanted in each phase before the test moves on. */
const PER_PHASE = 6;

/** Sent and answered within one phase: nothing changed under the create. */
const within = (phase: string) => (o: CreateOutcome): boolean => o.sentIn === phase && o.doneIn === phase;

describe('chaos: the webhook is killed under pod-creation load', function () {
  const getCluster = useWebhookCluster(NS, { timeoutSeconds: TIMEOUT_S });

  it('loses, fails and holds no pod; steers again once a new process is up', async function () {
    this.timeout(240_000);
    const cluster = getCluster();
    const countersBefore = await WebhookCounters.read(cluster.cp);
    const load = PodLoad.start(cluster.core, NS, { workers: 3, pauseMs: 150, phase: 'up' });
    await load.waitAnswered('creates with the webhook up', within('up'), PER_PHASE);
    await cluster.webhook.kill();
    expect(cluster.webhook.exitStatus).to.equal('SIGKILL');
    load.enter('gone');
    // Answered while no webhook process exists at all: the apiserver did not hold them for one.
    await load.waitAnswered('creates answered with the webhook gone', within('gone'), PER_PHASE);
    load.enter('restarting');
    await cluster.restartWebhook();
    load.enter('back');
    await load.waitAnswered('creates with the new process registered', within('back'), PER_PHASE);
    const outcomes = await load.stop();
    const countersAfter = await WebhookCounters.read(cluster.cp);

    const failed = outcomes.filter((o) => !o.created);
    const [up, gone, back] = ['up', 'gone', 'back'].map((phase) => outcomes.filter(within(phase)));
    // While the new process is registered, the configurations are briefly absent (deleted, then
    // created): creates in that phase may not reach any webhook, so they are left out here.
    const unsteered = outcomes.filter((o) => o.created && !o.steered && o.sentIn !== 'restarting' && o.doneIn !== 'restarting');
    const failOpens = countersAfter.failOpens(MUTATING_WEBHOOK) - countersBefore.failOpens(MUTATING_WEBHOOK);
    const lat = latencySummary(outcomes);
    console.log(
      `      ${outcomes.length} creates: ${failed.length} failed; steered ${up!.filter((o) => o.steered).length}/${up!.length} before the kill, ` +
        `${gone!.filter((o) => o.steered).length}/${gone!.length} while gone, ${back!.filter((o) => o.steered).length}/${back!.length} after the restart; ` +
        `${failOpens} mutating calls failed open; latency p50 ${lat.p50.toFixed(0)} ms, p99 ${lat.p99.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms`,
    );
    expect(failed.map((o) => o.error)).to.deep.equal([]);
    expect(up!.every((o) => o.steered), 'every create before the kill steered').to.equal(true);
    expect(gone!.some((o) => o.steered), 'no create steered while no webhook exists').to.equal(false);
    expect(back!.every((o) => o.steered), 'every create after the restart steered').to.equal(true);
    // Each unsteered pod went through a failed call the apiserver admitted past, not around the webhook.
    expect(failOpens).to.be.at.least(unsteered.length);
    await expectAllKeptAndBound(cluster.core, NS, outcomes);
  });
});
