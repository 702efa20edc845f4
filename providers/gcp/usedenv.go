package gcp

// usedEnv is the store's [secret.Description.UsedEnv]:
// GOOGLE_APPLICATION_CREDENTIALS, through which Application Default
// Credentials find a key file.
func (s *Store) usedEnv() []string {
	return []string{"GOOGLE_APPLICATION_CREDENTIALS"}
}
