#!/usr/bin/env node
import '../dist/src/cli/oci/main.js';
