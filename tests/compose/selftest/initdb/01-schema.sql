CREATE TABLE selftest_videos (
  id INT AUTO_INCREMENT PRIMARY KEY,
  video_name VARCHAR(200) NOT NULL,
  video_path VARCHAR(500) NOT NULL
);
INSERT INTO selftest_videos (video_name, video_path) VALUES ('first', 's3://b/first');
