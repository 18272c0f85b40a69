// cgroup v1/hybrid enforcement on this host (see ./scenarios.ts).
import { cgroupScenarios } from './scenarios.js';

cgroupScenarios('v1');
