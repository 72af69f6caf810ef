mod launch;
mod no_course;
mod rejections;
mod roles;
mod rotation;
