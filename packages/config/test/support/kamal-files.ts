/**
 * Deploy files as `kamal init` writes them for a Node app, filled in (Kamal 2). Line numbers in the
 * tests refer to these texts.
 */

/** One web server, Let's Encrypt on one host, the app on port 3000, a tuned health check. */
export const DEPLOY_YML = `# Name of your application. Used to uniquely configure containers.
service: demo

# Name of the container image.
image: acme/demo

# Deploy to these servers.
servers:
  web:
    - 192.168.0.1

proxy:
  ssl: true
  host: app.example.com
  app_port: 3000
  healthcheck:
    path: /up
    interval: 3
    timeout: 3

registry:
  server: ghcr.io
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD

env:
  clear:
    NODE_ENV: production
  secret:
    - DATABASE_URL

builder:
  arch: amd64
`;

/** Several hosts behind a load balancer: no ssl, forwarded headers from the balancer, the defaults otherwise. */
export const DEPLOY_YML_HOSTS = `service: shop
image: acme/shop

servers:
  web:
    hosts:
      - 10.0.0.11
      - 10.0.0.12
  job:
    hosts:
      - 10.0.0.21
    cmd: node dist/worker.js

proxy:
  hosts:
    - shop.example.com
    - www.shop.example.com
  forward_headers: true
  response_timeout: 10
  buffering:
    requests: true
    max_request_body: 40_000_000

registry:
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD

builder:
  arch: arm64
`;

/** The staging destination of DEPLOY_YML: its own host and a slower health check. */
export const DEPLOY_STAGING_YML = `servers:
  web:
    - 192.168.0.50

proxy:
  host: staging.example.com
  healthcheck:
    interval: 10

env:
  clear:
    NODE_ENV: staging
`;
