/** Public API of the Cheap Token Router CDK library. */
export * from './cheap-token-router';
export * from './cheap-token-router-defaults';
export * from './cheap-token-router-stacks';
export * from './data-key';
export * from './naming';
export * from './router-data';
export * from './router-monitoring';
export * from './stacks/data-stack';
export * from './stacks/key-stack';
export * from './stacks/router-stack';
export * from './table-access';
