export { type CloudMapContext, type CloudMapOptions, cloudMap } from './cloud-map.js'
