// Package csi is Latchkey's provider for the Kubernetes Secrets Store CSI
// Driver: a transport beside package server that serves the driver's
// provider API (sigs.k8s.io/secrets-store-csi-driver provider/v1alpha1:
// Version and Mount) on a unix socket, `latchkey csi-provider`.
//
// A Mount names the pod (namespace, service account, its tokens) and the
// SecretProviderClass parameters; the provider turns them into a caller
// ([secret.CallerPod]) and a workflow of one field per object, and asks a
// [resolver.Resolver] built for that pod's identity: the agent's callers
// rules, then the cache, protection and the store. It returns the files;
// the driver writes them. Nothing looks the pod up in the API server, so
// the provider works the same under the secrets-store-sync-controller.
//
// # Identity
//
// A store read from a mount authenticates as the pod: its service-account
// token for the store's audience is exchanged (AWS AssumeRoleWithWebIdentity)
// and the store, with its own cache, is built once per identity and kept
// in a bounded LRU. A token is exchanged once; a pod whose token has not
// been exchanged successfully is never answered from a cache its identity
// shares with another pod. The node's own identity is used only for a
// store whose csi section says identity: node.
//
// # Errors
//
// A refused or failed Mount returns MountResponse.error.code, one of the
// Code constants, and logs why (naming the pod's service account and the
// rule, never a value).
package csi
