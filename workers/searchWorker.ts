import * as Comlink from 'comlink';
import { BuildLoader } from './buildLoader';
import { QueryModel } from './modelSession';
import { workerApi } from './workerApi';

/*
 * The search worker: the one place that holds state. The loader holds the data dir's current build
 * (verified, cached, switched when the data dir is rebuilt); the query model holds the session that
 * embeds own images; the API the page calls through comlink only delegates to the two.
 */
const model = new QueryModel();
// A build with another model must not be searched with the previous build's session.
const builds = new BuildLoader((next) => model.keepOnly(next.model.file.sha256));

Comlink.expose(workerApi(builds, model));
