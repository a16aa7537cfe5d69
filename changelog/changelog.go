// Package changelog names and configures the changelog topics that back Tributary's stores,
// and reads and writes the per-task checkpoint files that record how far each store's
// changelog has been restored (Kafka Streams' OffsetCheckpoint).
//
// The logging store layer, the record cache and restoration come with the Kafka runtime.
package changelog

import (
	"strconv"
	"time"
)

// TopicName returns the changelog topic of a store: "<application.id>-<store>-changelog",
// as Kafka Streams' ProcessorStateManager.storeChangelogTopic.
func TopicName(applicationID, storeName string) string {
	return applicationID + "-" + storeName + "-changelog"
}

// KeyValueTopicConfig returns the topic configs of a key-value store's changelog:
// cleanup.policy=compact (Kafka's UnwindowedChangelogTopicConfig). retention.ms=-1 is added
// because some brokers (franz-go's kfake among them) apply time retention even to a pure
// compact topic; on Kafka it changes nothing.
func KeyValueTopicConfig() map[string]string {
	return map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"}
}

// WindowedRetentionExtra is what Kafka Streams adds to a windowed store's retention for its
// changelog's retention.ms (windowstore.changelog.additional.retention.ms, default 1 day).
const WindowedRetentionExtra = 24 * time.Hour

// WindowedTopicConfig returns the topic configs of a window or session store's changelog:
// cleanup.policy=compact,delete with retention.ms = the store's retention + 1 day (Kafka's
// WindowedChangelogTopicConfig).
func WindowedTopicConfig(storeRetention time.Duration) map[string]string {
	ms := (storeRetention + WindowedRetentionExtra).Milliseconds()
	return map[string]string{"cleanup.policy": "compact,delete", "retention.ms": strconv.FormatInt(ms, 10)}
}

// RepartitionTopicConfig returns the topic configs of a repartition topic (Kafka's
// RepartitionTopicConfig defaults): cleanup.policy=delete, segment.bytes=52428800 (50 MiB),
// retention.ms=-1 (Kafka's Long.MAX_VALUE: records are purged once committed, not by age) and
// message.timestamp.type=CreateTime.
func RepartitionTopicConfig() map[string]string {
	return map[string]string{
		"cleanup.policy":         "delete",
		"segment.bytes":          "52428800",
		"retention.ms":           "-1",
		"message.timestamp.type": "CreateTime",
	}
}
