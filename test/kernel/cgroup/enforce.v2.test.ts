// cgroup v2 enforcement, run inside ../shared/vm/cgroup2-vm (see ./scenarios.ts).
import { cgroupScenarios } from './scenarios.js';

cgroupScenarios('v2', { slow: 4 });
