// Tests reach the Podman engine through the testing package as before; the code lives in
// @atb/container-engine because `atb up` uses it at run time too.
export * from '@atb/container-engine';
